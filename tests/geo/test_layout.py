"""The layout of ``geo``: packages that say what they hold and what they may import."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

GEO = Path(__file__).resolve().parents[2] / "geo"
PACKAGES = sorted(p.parent for p in GEO.rglob("__init__.py") if p.parent != GEO)

#: Import paths code outside ``geo`` relies on, and a name each must still export.
PUBLIC = [
    ("geo.radius", "flag_priority"),
    ("geo.radius", "within_positions"),
    ("geo.store.gpkg", "GeoPackageStore"),
    ("geo.store.postgis", "PostGISStore"),
    ("geo.io.readers", "read_raw"),
    ("geo.io.readers", "detect_format"),
    ("geo.io.writers", "export_frame"),
    ("geo.io.writers", "STREAMED_FORMATS"),
    ("geo.io.writers", "pages_of"),
    ("geo.demo", "load_demo"),
    ("geo.reports", "build_report"),
    ("geo.reports", "write_xlsx"),
    ("geo.inspections", "campaign_progress"),
    ("geo.inspections", "due_sources"),
]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: str(p.relative_to(GEO.parent)))
def test_every_package_says_what_it_holds_and_may_import(package: Path) -> None:
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert doc, f"{package.name}/__init__.py has no docstring"
    assert "May import" in doc, f"{package.name}/__init__.py does not say what it may import"


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m}.{n}" for m, n in PUBLIC])
def test_public_import_paths_keep_working(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name)


def test_no_flat_demo_modules_or_vague_names() -> None:
    vague = sorted(str(p.relative_to(GEO)) for p in GEO.rglob("*.py")
                   if p.stem.startswith("_demo_") or p.stem.startswith("more_"))
    assert not vague
