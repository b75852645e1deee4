"""The import layering of ARCHITECTURE.md, checked on the source files themselves."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "engine": {"storage", "tui", "api", "textual", "sqlalchemy", "sqlmodel", "alembic",
               "psycopg", "fastapi", "uvicorn"},
    "storage": {"tui", "api", "textual"},
}
COMPOSITION_ROOT = "tui/wiring.py"


def imported_roots(path: Path) -> set[str]:
    """Top-level package names a module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_engine_and_storage_respect_their_layers() -> None:
    broken = [f"{path.relative_to(ROOT)} imports {sorted(imported_roots(path) & banned)}"
              for package, banned in FORBIDDEN.items() for path in modules(package)
              if imported_roots(path) & banned]
    assert broken == []


def test_tui_reaches_storage_only_through_the_composition_root() -> None:
    users = [str(path.relative_to(ROOT)) for path in modules("tui")
             if "storage" in imported_roots(path)]
    assert users == [COMPOSITION_ROOT]


def test_api_reaches_storage_only_through_its_composition_root() -> None:
    users = [str(path.relative_to(ROOT)) for path in modules("api")
             if "storage" in imported_roots(path)]
    assert users == ["api/wiring.py"]


def test_the_front_ends_never_import_each_other_but_for_serve() -> None:
    api_to_tui = [str(p.relative_to(ROOT)) for p in modules("api") if "tui" in imported_roots(p)]
    tui_to_api = [str(p.relative_to(ROOT)) for p in modules("tui") if "api" in imported_roots(p)]
    assert api_to_tui == []
    assert tui_to_api == ["tui/commands/serve.py"]
