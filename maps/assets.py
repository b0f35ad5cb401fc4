"""The map's vendored scripts and stylesheets (``maps/assets/``), served locally.

Versions and licences: ``maps/assets/README.md``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from geo.errors import NotFoundError

__all__ = ["ASSET_DIR", "copy_assets", "resolve_asset", "script_urls", "style_urls"]

ASSET_DIR = Path(__file__).parent / "assets"

_SCRIPTS = (
    "leaflet/leaflet.js",
    "markercluster/leaflet.markercluster.js",
    "heat/leaflet-heat.js",
    "fullscreen/Control.FullScreen.umd.js",
    "zonewatch-measure.js",
    "zonewatch-basemaps.js",  # loads protomaps-leaflet itself, only for a vector basemap file
    "zonewatch-map.js",
    "zonewatch-cases.js",  # open cases by time left; draws only on a served page (casesUrl)
)
_STYLES = (
    "leaflet/leaflet.css",
    "markercluster/MarkerCluster.css",
    "markercluster/MarkerCluster.Default.css",
    "fullscreen/Control.FullScreen.css",
    "zonewatch-basemaps.css",
    "zonewatch-map.css",
    "zonewatch-cases.css",
)
# Only on a signed-in editor's map (maps.edit_config): nobody else loads the editing tools.
_EDIT_SCRIPTS = ("geoman/leaflet-geoman.min.js", "zonewatch-edit.js")
_EDIT_STYLES = ("geoman/leaflet-geoman.css", "zonewatch-edit.css")


def script_urls(prefix: str, *, editing: bool = False) -> list[tuple[str, str]]:
    """Return ``(name, url)`` of every script the page loads, in order.

    The scripts are the same in every language: the page's words travel in
    its config (:mod:`maps.i18n`), not in a script per language. ``editing``
    adds the editing tools after the map's own script.
    """
    return [(Path(p).stem, prefix + p) for p in _SCRIPTS + (_EDIT_SCRIPTS if editing else ())]


def style_urls(prefix: str, *, editing: bool = False) -> list[tuple[str, str]]:
    """Return ``(name, url)`` of every stylesheet the page loads."""
    return [(Path(p).stem + "_css", prefix + p)
            for p in _STYLES + (_EDIT_STYLES if editing else ())]


def resolve_asset(relative: str) -> Path:
    """Return the file under ``maps/assets/`` named by ``relative``.

    Raises
    ------
    NotFoundError
        No such file, or a path that leaves the asset folder.
    """
    root = ASSET_DIR.resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFoundError(f"no map asset {relative!r}")
    return path


def copy_assets(dest: Path) -> None:
    """Copy every asset into ``dest`` (for a map written to disk)."""
    shutil.copytree(ASSET_DIR, dest, dirs_exist_ok=True)
