"""Write the working map to disk: one HTML file plus its assets folder beside it.

The file carries its data inline and loads scripts from ``<name>_files/``
by relative URL, so it opens from disk with no server and no internet.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from geo.store.base import Store
from maps.assets import copy_assets
from maps.data import MapFilter, map_data
from maps.i18n import normalize_lang
from maps.render import MapPage, render_map

__all__ = ["write_map_file"]


def write_map_file(
    store: Store, path: Path, *, flt: MapFilter | None = None, lang: str = "zh",
    link_base: str = "",
) -> int:
    """Write the map of ``store`` to ``path``; return how many sources it shows.

    Parameters
    ----------
    store : Store
        The ledger.
    path : Path
        The HTML file; its assets go to ``<stem>_files/`` in the same folder.
    flt : MapFilter, optional
        Which sources to show (default: all).
    lang : str, default "zh"
        ``zh`` or ``en``.
    link_base : str, default ""
        Prefix of record and report links, e.g. ``http://zonewatch.intranet``.
    """
    lang = normalize_lang(lang)  # before anything is written
    data = map_data(store, flt or MapFilter())
    assets = path.parent / f"{path.stem}_files"
    copy_assets(assets)
    # a relative URL: the folder name percent-encoded, so "#", "?" or "%" in it stay a name
    page = MapPage(lang=lang, data=data, asset_prefix=f"{quote(assets.name)}/",
                   link_base=link_base.rstrip("/"))
    path.write_text(render_map(page), encoding="utf-8")
    return int(data["count"])
