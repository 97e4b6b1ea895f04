"""`.ci/ensure-chromium`, run by `make test` and .ci/run: the browser tests' Chromium is there, or installed
with apt where this machine can, or the test command stops at once with one line that says what to install.
Exercised against paths that do not exist and a stand-in apt-get, never the machine's own browser."""

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BASE_DIR

SCRIPT = BASE_DIR / ".ci" / "ensure-chromium"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="apt-get is only tried as root")


def run(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(args or [str(SCRIPT)], cwd=BASE_DIR, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=60)


def fake_apt_get(tmp_path: Path, *, installs: Path | None) -> Path:
    """A stand-in apt-get that logs its arguments and, on `install`, puts an executable at `installs`."""
    script = tmp_path / "apt-get"
    create = f'touch "{installs}" && chmod +x "{installs}"' if installs else "true"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{tmp_path}/apt.log"\n'
                      f'if [ "$1" = install ]; then {create}; fi\n')
    script.chmod(0o755)
    return script


def test_a_browser_that_is_there_needs_nothing(tmp_path):
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    out = run(RPM_CHROMIUM=str(browser), APT_GET=str(tmp_path / "no-apt-get"))
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")


def test_without_a_way_to_install_it_stops_with_one_line_naming_the_package(tmp_path):
    out = run(RPM_CHROMIUM=str(tmp_path / "chromium"), APT_GET=str(tmp_path / "no-apt-get"))
    assert out.returncode == 1 and out.stdout == ""
    [line] = out.stderr.splitlines()
    assert "apt-get install chromium" in line


@as_root
def test_as_root_with_apt_get_it_installs_debians_chromium(tmp_path):
    browser = tmp_path / "chromium"
    out = run(RPM_CHROMIUM=str(browser), APT_GET=str(fake_apt_get(tmp_path, installs=browser)))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "apt.log").read_text().splitlines() == [
        "update -qq", "install -y -qq --no-install-recommends chromium"]


@as_root
def test_an_install_that_leaves_no_browser_stops_with_the_one_line(tmp_path):
    out = run(RPM_CHROMIUM=str(tmp_path / "chromium"), APT_GET=str(fake_apt_get(tmp_path, installs=None)))
    assert out.returncode == 1
    [line] = out.stderr.splitlines()
    assert "apt-get install chromium" in line


def test_make_test_stops_before_running_anything(tmp_path):
    out = run("make", "--no-print-directory", "test", RPM_CHROMIUM=str(tmp_path / "chromium"),
              APT_GET=str(tmp_path / "no-apt-get"))
    assert out.returncode != 0
    assert "apt-get install chromium" in out.stderr.splitlines()[0]
    assert "-m pytest" not in out.stdout + out.stderr
