"""config.settings: production leaves the demo out."""

import subprocess
import sys

from tests.conftest import BASE_DIR


def installed_apps(**env) -> list[str]:
    probe = "import django; django.setup(); from django.conf import settings; print(*settings.INSTALLED_APPS)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=BASE_DIR, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_production_settings_leave_the_demo_out():
    apps = installed_apps(RPM_ENV="production", SECRET_KEY="x" * 50, DATABASE_URL="postgresql://db/rpm",
                          REDIS_URL="redis://cache:6379/0")
    assert "demo" not in apps and {"rpm", "patients", "devices", "alerts", "staff"} <= set(apps)


def test_development_settings_install_the_demo():
    assert "demo" in installed_apps(RPM_ENV="development")
