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
SELECT c.id, c.secret_hash, c.revoked_at, c.last_used_at, d.id, d.kind, d.status, a.patient_id, d.serial
FROM devices_devicecredential c
JOIN devices_device d ON d.id = c.device_id
LEFT JOIN devices_deviceassignment a ON a.device_id = d.id AND a.ended_at IS NULL
WHERE c.prefix = %s
"""


def authenticate_device(token: str) -> AuthenticatedDevice | None:
    """The device behind a token, or None for an unknown, malformed or revoked one."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    _, prefix, secret = parts
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP, [prefix])
        row = cursor.fetchone()
        if row is None:
            return None
        cred_id, secret_hash, revoked_at, last_used_at, device_id, kind, status, patient_id, serial = row
        if not hmac.compare_digest(_hash(secret), secret_hash):
            return None
        if revoked_at is not None:
            # Retiring revokes every credential; the genuine holder is still told why, rather than just "revoked".
            retired = status == Device.Status.RETIRED
            return AuthenticatedDevice(device_id, cred_id, kind, status, None, serial) if retired else None
        now = timezone.now()
        if last_used_at is None or last_used_at < now - dt.timedelta(minutes=1):
            cursor.execute("UPDATE devices_devicecredential SET last_used_at = %s WHERE id = %s", [now, cred_id])
    return AuthenticatedDevice(device_id, cred_id, kind, status, patient_id, serial)
