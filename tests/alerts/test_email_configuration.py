"""No patient data in logs: outside development there is no console e-mail backend, and without a mail
configuration the e-mail notifier refuses to start and says so (the in-app notifier still runs)."""

import subprocess
import sys

from tests.conftest import BASE_DIR

PRODUCTION = {"RPM_ENV": "production", "SECRET_KEY": "x" * 50, "DATABASE_URL": "postgresql://db/rpm",
              "REDIS_URL": "redis://cache:6379/0"}
PROBE = ("import django; django.setup(); from django.conf import settings; from alerts.notifiers import notifiers; "
         "print(settings.EMAIL_BACKEND or '-', *[type(n).__name__ for n in notifiers()])")


def start(**env) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=BASE_DIR, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    assert out.returncode == 0, out.stderr
    return out


def test_production_without_mail_configuration_refuses_the_email_notifier_and_says_so():
    out = start(**PRODUCTION)
    assert out.stdout.split() == ["-", "InAppNotifier", "AppriseNotifier"]
    assert "e-mail notifier not started: no mail configuration (set EMAIL_HOST, or EMAIL_BACKEND)" in out.stderr


def test_production_never_falls_back_to_the_console_backend_even_when_asked():
    out = start(**PRODUCTION, EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    assert "EmailNotifier" not in out.stdout and "e-mail notifier not started" in out.stderr


def test_production_with_an_smtp_host_sends_mail_by_smtp():
    out = start(**PRODUCTION, EMAIL_HOST="smtp.example.invalid")
    assert out.stdout.split() == ["django.core.mail.backends.smtp.EmailBackend",
                                  "InAppNotifier", "EmailNotifier", "AppriseNotifier"]
    assert "e-mail notifier" not in out.stderr


def test_development_keeps_the_console_backend():
    out = start(RPM_ENV="development")
    assert out.stdout.split() == ["django.core.mail.backends.console.EmailBackend",
                                  "InAppNotifier", "EmailNotifier", "AppriseNotifier"]
