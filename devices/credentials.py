"""Device credentials: a random secret shown once, stored as a SHA-256 hash.

Token format `rpmd_<prefix>_<secret>`: the prefix finds the row, the secret is
compared in constant time. The secret has 256 bits of entropy, so a fast hash is
enough (a slow password hash protects guessable secrets, which these are not).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from devices.models import Device, DeviceCredential

TOKEN_PREFIX = "rpmd"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_token(*, device: Device, by=None) -> str:
    """Revoke the device's current credentials and return a new token (the only time it is visible)."""
    now = timezone.now()
    DeviceCredential.objects.filter(device=device, revoked_at__isnull=True).update(revoked_at=now)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    DeviceCredential.objects.create(device=device, prefix=prefix, secret_hash=_hash(secret),
                                    created_by=by if getattr(by, "is_authenticated", False) else None)
    return f"{TOKEN_PREFIX}_{prefix}_{secret}"


def revoke_tokens(*, device: Device) -> int:
    return DeviceCredential.objects.filter(device=device, revoked_at__isnull=True).update(revoked_at=timezone.now())


@dataclass(frozen=True, slots=True)
class AuthenticatedDevice:
    device_id: int
    credential_id: int
    kind: str
    status: str
    patient_id: int | None  # the current assignment's patient
    serial: str = ""


_LOOKUP = """
SELECT c.prefix, c.id, c.secret_hash, c.revoked_at, c.last_used_at, d.id, d.kind, d.status, a.patient_id, d.serial
FROM devices_devicecredential c
JOIN devices_device d ON d.id = c.device_id
LEFT JOIN devices_deviceassignment a ON a.device_id = d.id AND a.ended_at IS NULL
WHERE c.prefix = ANY(%s)
"""
# last used to the minute; rows another transaction holds are left for the next request rather than waited for
_TOUCH = """
UPDATE devices_devicecredential SET last_used_at = %s
WHERE id IN (SELECT id FROM devices_devicecredential WHERE id = ANY(%s) ORDER BY id FOR UPDATE SKIP LOCKED)
"""
LAST_USED_EVERY = dt.timedelta(minutes=1)


def authenticate_device(token: str) -> AuthenticatedDevice | None:
    """The device behind a token, or None for an unknown, malformed or revoked one."""
    return authenticate_devices([token])[0]


def authenticate_devices(tokens: list[str]) -> list[AuthenticatedDevice | None]:
    """`authenticate_device` for many tokens in one query (the device API's group commit). Nothing is cached:
    a revoked credential, a retired or re-enrolled device is refused or redirected from the next request on."""
    split = [token.split("_", 2) for token in tokens]
    wanted = [parts for parts in split if len(parts) == 3 and parts[0] == TOKEN_PREFIX]
    if not wanted:
        return [None] * len(tokens)
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP, [sorted({prefix for _, prefix, _ in wanted})])
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
        now = timezone.now()
        found: list[AuthenticatedDevice | None] = []
        stale: set[int] = set()
        for parts in split:
            row = rows.get(parts[1]) if len(parts) == 3 and parts[0] == TOKEN_PREFIX else None
            if row is None or not hmac.compare_digest(_hash(parts[2]), row[1]):
                found.append(None)
                continue
            cred_id, _, revoked_at, last_used_at, device_id, kind, status, patient_id, serial = row
            if revoked_at is not None:
                # Retiring revokes every credential; the genuine holder is still told why, rather than just "revoked".
                retired = status == Device.Status.RETIRED
                found.append(AuthenticatedDevice(device_id, cred_id, kind, status, None, serial) if retired else None)
                continue
            if last_used_at is None or last_used_at < now - LAST_USED_EVERY:
                stale.add(cred_id)
            found.append(AuthenticatedDevice(device_id, cred_id, kind, status, patient_id, serial))
        if stale:
            cursor.execute(_TOUCH, [now, sorted(stale)])
    return found
