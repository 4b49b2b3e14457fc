"""Dependencies point one way (docs/architecture.md): the apps that watch or summarise others (`monitoring`,
`stats`) sit above the domain apps, and `core` below everything. Read from the source, every import at any depth
(inside functions too), relative ones resolved."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dichvucong"


def imported_modules(app: str) -> dict[str, set[str]]:
    """For each module of `dichvucong.<app>` (by dotted name), the absolute names of the modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((PACKAGE / app).rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        package = parts[:-1]  # what a relative import starts from, for a package's __init__ too
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, node.module] if node.module else base)
                names.add(module)
                # `from dichvucong import monitoring` names the module in the alias.
                names |= {f"{module}.{alias.name}" for alias in node.names}
        found[".".join(parts)] = names
    return found


def offending(app: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, names in imported_modules(app).items()
        for name in names
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


@pytest.mark.parametrize("app", ["dossiers", "payments"])
def test_domain_apps_import_neither_the_monitor_nor_the_statistics(app: str) -> None:
    assert offending(app, ("dichvucong.monitoring", "dichvucong.stats")) == []


def test_core_imports_no_other_app_of_the_portal() -> None:
    apps = tuple(
        f"dichvucong.{path.name}"
        for path in PACKAGE.iterdir()
        if path.is_dir() and (path / "apps.py").exists() and path.name != "core"
    )
    assert len(apps) > 5
    assert offending("core", apps) == []


def test_the_import_reader_sees_relative_and_function_level_imports() -> None:
    # The reader itself: what it must catch for the tests above to mean anything.
    services = imported_modules("monitoring")["dichvucong.monitoring.services"]
    assert "dichvucong.monitoring.models" in services  # `from .models import …`
    assert "dichvucong.dossiers.services" in services  # inside a function
    assert "dichvucong.core.calls" in imported_modules("dossiers")["dichvucong.dossiers.delivery"]
