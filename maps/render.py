"""Build the working map page with Folium.

Folium lays out the page (map, scale bar, script and stylesheet tags); the
data layers are drawn in the browser by ``assets/zonewatch-map.js`` from the
compact JSON of :mod:`maps.data`, on canvas and in clusters, so the page stays
small with 1e5 sources. Every script and stylesheet is one of ours: Folium's
CDN defaults (Leaflet, jQuery, Bootstrap, Font Awesome) are replaced.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from maps.assets import script_urls, style_urls
from maps.basemaps import Basemap
from maps.i18n import labels
from maps.styles import PRIORITY_COLOUR, STATION_COLOUR, category_styles

__all__ = ["MapPage", "render_map", "safe_json"]

# Zhongyuan District, Zhengzhou: where the map opens before the data arrives
_CENTRE = (34.75, 113.58)


@dataclass
class MapPage:
    """What one map page shows and where it gets it.

    Exactly one of ``data_url`` (the server page fetches it) and ``data``
    (a file written to disk carries it inline) is set.
    """

    lang: str = "zh"
    basemap: Basemap = field(default_factory=lambda: Basemap("none", None, "wgs84"))
    tile_url: str | None = None  # what the browser asks for tiles (our proxy)
    asset_prefix: str = "/assets/map/"
    data_url: str | None = None
    data: dict[str, Any] | None = None
    link_base: str = ""  # prefix of record and report links


def safe_json(value: Any) -> str:
    """Return JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become JSON unicode escapes, so no user text can
    close the element or open a comment; the JSON value is unchanged.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


class _ZonewatchLayers(JSCSSMixin, MacroElement):
    """Config JSON plus the call that draws every layer once the map exists."""

    _template = Template("""
{% macro html(this, kwargs) %}
<script type="application/json" id="zonewatch-config">{{ this.config_json }}</script>
{% endmacro %}
{% macro script(this, kwargs) %}
zonewatchMap({{ this._parent.get_name() }}, "zonewatch-config");
{% endmacro %}
""")

    def __init__(self, config: dict[str, Any], js: list, css: list) -> None:
        super().__init__()
        self._name = "ZonewatchLayers"
        self.config_json = safe_json(config)
        self.default_js = js
        self.default_css = css


def render_map(page: MapPage) -> str:
    """Return the HTML of the map page.

    Examples
    --------
    >>> "zonewatch-config" in render_map(MapPage(data_url="/map/data.json"))
    True
    """
    words = labels(page.lang)
    # zoom and scale controls come from zonewatch-map.js: translated titles, metric only
    fmap = folium.Map(location=_CENTRE, zoom_start=12, tiles=None, prefer_canvas=True,
                      control_scale=False, zoom_control=False, max_zoom=19)
    fmap.default_js = []  # Leaflet comes first in our own list; no jQuery/Bootstrap
    fmap.default_css = []
    root = fmap.get_root()
    assert isinstance(root, Figure)  # a Map's root is always its Figure
    root.header.add_child(Element(f"<title>{html.escape(str(words['title']))}</title>"))
    root.header.add_child(Element('<link rel="icon" href="data:,">'))  # no favicon request
    if page.data_url:  # start the data download while the scripts load
        root.header.add_child(Element(
            f'<link rel="preload" href="{html.escape(page.data_url)}" as="fetch" '
            'crossorigin="anonymous">'))
    _ZonewatchLayers(_config(page, words), script_urls(page.asset_prefix, page.lang),
                     style_urls(page.asset_prefix)).add_to(fmap)
    return root.render()


def _config(page: MapPage, words: dict[str, Any]) -> dict[str, Any]:
    return {
        "lang": page.lang,
        "labels": words,
        "styles": category_styles(),
        "priorityColour": PRIORITY_COLOUR,
        "stationColour": STATION_COLOUR,
        "dataUrl": page.data_url,
        "data": page.data,
        "tiles": None if page.basemap.url is None else {
            "url": page.tile_url, "attribution": page.basemap.attribution,
            "name": page.basemap.name},
        "linkBase": page.link_base,
    }
