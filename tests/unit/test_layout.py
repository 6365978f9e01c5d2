"""The package's imports follow the pipeline: every import points down, and only a few modules touch the outside.

DESIGN.md §1: request → auth → plan → sql → execute → response, under the
pipeline and the process roles, over a shared vocabulary.  A module may
import modules of lower layers, and modules of its own package.  psycopg
stays in the modules that talk to the database; Falcon and Gunicorn in the
adapter and the process roles.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pgrestd"

# Lower numbers are further down the house.
LAYERS = {
    "pgrestd": 0,  # the package's face (__version__)
    "pgrestd.errors": 0,
    "pgrestd.media": 1,
    "pgrestd.lru": 1,
    "pgrestd.fuzzy": 1,
    "pgrestd.log": 1,
    "pgrestd.cors": 1,
    "pgrestd.metrics": 1,
    "pgrestd.config": 2,
    "pgrestd.catalog": 3,
    "pgrestd.state": 4,
    "pgrestd.request": 5,
    "pgrestd.auth": 6,
    "pgrestd.plan": 7,
    "pgrestd.sql": 8,
    "pgrestd.transaction": 9,
    "pgrestd.protocol": 9,
    "pgrestd.execute": 10,
    "pgrestd.response": 11,
    "pgrestd.openapi": 11,
    "pgrestd.describe": 12,
    "pgrestd.admin": 12,
    "pgrestd.conditional": 12,
    "pgrestd.caching": 12,
    "pgrestd.links": 12,
    "pgrestd.pipeline": 13,
    "pgrestd.listener": 13,
    "pgrestd.live": 13.5,  # over the pipeline (its workers' gate plans with it), under the adapter
    "pgrestd.app": 14,
    "pgrestd.server": 15,
    "pgrestd.mock": 15,  # `pgrestd mock`'s scratch database, beside the server
    "pgrestd.wsgi": 16,
    "pgrestd.cli": 16,
    "pgrestd.__main__": 17,
}

ALLOWED = {
    "psycopg": {"pgrestd.execute", "pgrestd.protocol", "pgrestd.catalog.load", "pgrestd.config.database", "pgrestd.listener",
                "pgrestd.mock.scratch", "pgrestd.mock.schema", "pgrestd.mock.fill", "pgrestd.mock.session",
                "pgrestd.live.changes", "pgrestd.live.stream"},
    "psycopg_pool": {"pgrestd.execute"},
    "prometheus_client": {"pgrestd.metrics"},
    "falcon": {"pgrestd.app", "pgrestd.server", "pgrestd.wsgi"},
    "gunicorn": {"pgrestd.app", "pgrestd.server", "pgrestd.wsgi"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, absolute, including imports inside functions."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append(target)
            # ``from . import media`` names a module, not an attribute.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if _layer(candidate) is not None and (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists():
                    found.append(candidate)
    return found


def _layer(module: str) -> int | None:
    """The layer of the longest registered prefix of ``module``."""
    parts = module.split(".")
    while parts:
        layer = LAYERS.get(".".join(parts))
        if layer is not None:
            return layer
        parts.pop()
    return None


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _stage(module: str) -> str:
    """The registered unit a module belongs to (its top-level module or package)."""
    parts = module.split(".")
    while parts and ".".join(parts) not in LAYERS:
        parts.pop()
    return ".".join(parts)


def test_every_module_has_a_layer():
    missing = [_module_name(p) for p in _modules() if _layer(_module_name(p)) in (None, 0)
               and _module_name(p) not in ("pgrestd", "pgrestd.errors")]
    assert missing == []


def test_every_import_points_down_the_pipeline():
    broken = []
    for path in _modules():
        name = _module_name(path)
        here = _layer(name)
        for target in _imports(path):
            if not target.startswith("pgrestd"):
                continue
            if _stage(target) == _stage(name):
                continue  # within one stage's package
            there = _layer(target)
            assert there is not None, f"{name} imports {target}, which has no layer"
            if there >= here:
                broken.append(f"{name} (layer {here}) imports {target} (layer {there})")
    assert broken == []


def test_only_the_database_modules_import_psycopg_and_only_the_adapters_falcon_or_gunicorn():
    broken = []
    for path in _modules():
        name = _module_name(path)
        for target in _imports(path):
            top = target.split(".")[0]
            if top in ALLOWED and name not in ALLOWED[top]:
                broken.append(f"{name} imports {target}")
    assert broken == []


def test_the_checks_can_fail():
    """The walker sees relative imports, imports inside functions and ``from . import module``."""
    assert "pgrestd.app" in _imports(PACKAGE / "server.py")  # imported inside a function
    assert "pgrestd.media" in _imports(PACKAGE / "plan" / "read.py")  # ``from .. import media``
    assert _layer("pgrestd.plan.read") < _layer("pgrestd.sql.read")

