"""The floor plan holds where it is cheap to break: the ground floor (rpm) imports no app of ours, and no
production code imports the demo (production leaves it out of INSTALLED_APPS)."""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
OUR_PACKAGES = {"config", "rpm", "patients", "devices", "alerts", "staff", "demo"}
PRODUCTION_APPS = ("rpm", "patients", "devices", "alerts", "staff")


def imported_packages(path: Path) -> set[str]:
    """The top-level package of every import in the file, at module or function level."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def modules_of(app: str) -> list[Path]:
    return sorted((BASE_DIR / app).rglob("*.py"))


def test_the_ground_floor_imports_no_app_of_ours():
    offenders = {str(path.relative_to(BASE_DIR)): sorted(imported_packages(path) & (OUR_PACKAGES - {"rpm"}))
                 for path in modules_of("rpm")}
    assert {path: apps for path, apps in offenders.items() if apps} == {}


@pytest.mark.parametrize("app", PRODUCTION_APPS)
def test_production_code_never_imports_the_demo(app):
    assert [str(path.relative_to(BASE_DIR)) for path in modules_of(app) if "demo" in imported_packages(path)] == []
