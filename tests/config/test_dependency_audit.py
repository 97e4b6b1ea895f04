"""The dependency audit (.ci/audit-deps, run by `make lint`) never reports a pass it did not make."""

import os
import subprocess
import sys

from tests.conftest import BASE_DIR


def audit(tmp_path, **env) -> subprocess.CompletedProcess:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Django==5.2.19\norjson==3.13.0\n")
    return subprocess.run([sys.executable, str(BASE_DIR / ".ci" / "audit-deps"), str(requirements)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **env})


def test_an_audit_that_cannot_reach_its_database_fails_and_says_so(tmp_path):
    unreachable = "http://127.0.0.1:9"
    out = audit(tmp_path, HTTPS_PROXY=unreachable, HTTP_PROXY=unreachable, https_proxy=unreachable,
                http_proxy=unreachable, PIP_AUDIT_CACHE_DIR=str(tmp_path / "cache"))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "passed" not in out.stdout
    assert "NOT DONE" in out.stdout or "INCOMPLETE" in out.stdout


def test_packages_the_audit_skipped_are_named_and_fail_it(tmp_path):
    out = audit(tmp_path, PIP_AUDIT_CACHE_DIR=str(tmp_path / "cache"))
    if out.returncode == 0:  # the database answered for every package: a real pass, which says what it checked
        assert "2 packages checked" in out.stdout
    else:
        assert out.returncode in (1, 2), out.stdout + out.stderr
        assert "NOT AUDITED" in out.stdout or "VULNERABLE" in out.stdout or "NOT DONE" in out.stdout
