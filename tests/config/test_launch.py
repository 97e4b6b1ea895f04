"""`make run`'s process counts: a bad WEB_PROCESSES or WORKER_PROCESSES stops the launcher with one line naming it,
before anything is started."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.processes import BASE_DIR


@pytest.mark.parametrize(("name", "value"), [("WEB_PROCESSES", "0"), ("WORKER_PROCESSES", "two"),
                                             ("WORKER_CONCURRENCY", "-1")])
def test_a_bad_process_count_is_refused_naming_the_setting(name, value):
    env = {**os.environ, name: value}
    done = subprocess.run([sys.executable, "-m", "config.launch"], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=60)

    assert done.returncode == 1
    assert done.stderr.strip() == f"{name} must be a whole number of at least 1, not {value!r}"
    assert "Starting" not in done.stdout
