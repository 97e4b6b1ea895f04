"""The floor plan holds: each layer imports only the layers below it (the way up is a signal, an after-commit
event or a dotted path in settings), the ground floor imports no app, no production code imports the demo,
and no import hides inside a function to dodge a cycle."""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
# lowest first; apps on one floor do not import each other
FLOORS = [("rpm",), ("patients",), ("devices",), ("alerts",), ("clinic", "staff", "demo"), ("config",)]
FLOOR = {app: level for level, apps in enumerate(FLOORS) for app in apps}
PRODUCTION_APPS = ("rpm", "patients", "devices", "alerts", "clinic", "staff")
# Function-level imports with a reason other than a cycle: an AppConfig.ready() connects receivers once the app
# registry is ready; the launcher imports the demo only after django.setup().
ALLOWED_LATE_IMPORTS = {("clinic/apps.py", "ready"), ("alerts/apps.py", "ready"), ("rpm/apps.py", "ready"),
                         ("config/launch.py", "_prepare")}


def imports(path: Path) -> list[tuple[str, str | None]]:
    """(imported module, enclosing function or None) for every absolute import in the file."""
    found: list[tuple[str, str | None]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, function or child.name)
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module, function))
            visit(child, function)

    visit(ast.parse(path.read_text(), filename=str(path)), None)
    return found


def modules(app: str) -> list[Path]:
    return sorted(p for p in (BASE_DIR / app).rglob("*.py") if "migrations" not in p.parts)


def upward_imports(app: str) -> list[str]:
    bad = []
    for path in modules(app):
        for module, _ in imports(path):
            other = module.split(".")[0]
            if other in FLOOR and other != app and FLOOR[other] >= FLOOR[app] and app != "config":
                bad.append(f"{path.relative_to(BASE_DIR)} imports {module}")
    return bad


@pytest.mark.parametrize("app", [app for apps in FLOORS for app in apps])
def test_a_layer_imports_only_the_layers_below_it(app):
    assert upward_imports(app) == []


def test_the_ground_floor_imports_no_app_of_ours():
    assert [m for path in modules("rpm") for m, _ in imports(path) if m.split(".")[0] in set(FLOOR) - {"rpm"}] == []


@pytest.mark.parametrize("app", PRODUCTION_APPS)
def test_production_code_never_imports_the_demo(app):
    assert [str(p.relative_to(BASE_DIR)) for p in modules(app) if any(m.split(".")[0] == "demo"
                                                                         for m, _ in imports(p))] == []


def test_no_import_of_ours_hides_inside_a_function():
    late = {(str(path.relative_to(BASE_DIR)), function)
            for app in FLOOR for path in modules(app)
            for module, function in imports(path) if function and module.split(".")[0] in FLOOR}
    assert late <= ALLOWED_LATE_IMPORTS, sorted(late - ALLOWED_LATE_IMPORTS)


def test_the_walk_sees_an_upward_import(tmp_path, monkeypatch):
    """The check itself: a record module importing the engine is reported."""
    import sys

    (tmp_path / "patients").mkdir()
    (tmp_path / "patients" / "bad.py").write_text("from alerts.models import Alert\n")
    monkeypatch.setattr(sys.modules[__name__], "BASE_DIR", tmp_path)
    assert upward_imports("patients") == ["patients/bad.py imports alerts.models"]
