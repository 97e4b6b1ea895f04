from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Synthetic demo data, `seed_demo` and the device simulator: installed only when RPM_ENV=development."""

    name = "demo"
    verbose_name = "Demo data (development only)"
