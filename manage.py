#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if os.environ.get("RPM_ENV", "development") == "development":
        # Nothing configured on a laptop: start the embedded PostgreSQL and Redis (left running; `make stop`).
        from config import embedded

        embedded.start_missing()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
