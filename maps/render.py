"""Build the working map page with Folium.

Folium lays out the page (map, scale bar, script and stylesheet tags); the
data layers are drawn in the browser by ``assets/zonewatch-map.js`` from the
compact JSON of :mod:`maps.data`, on canvas and in clusters, so the page stays
small with 1e5 sources. Every script and stylesheet is one of ours: Folium's
CDN defaults (Leaflet, jQuery, Bootstrap, Font Awesome) are replaced.

No text reaches a template compiler
-----------------------------------
branca compiles the output of every macro element again as a Jinja2
template (``MacroElement.render`` wraps it in ``Element(text)``), so any
``{{ ... }}`` in a source name placed there would run as code. Folium
therefore renders a page that holds nothing from the ledger, the settings or
the request: two fixed slots (:data:`HEAD_SLOT`, :data:`CONFIG_SLOT`) and
the generated name of the map. The ``<head>`` links and the config JSON
(:func:`safe_json`) are put into those slots of the finished string once, by
plain string work that no template engine ever sees.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

import folium
from branca.element import Figure, MacroElement
from jinja2 import Template

from maps.assets import script_urls, style_urls
from maps.basemaps import Basemap
from maps.edit_config import MapEditing
from maps.i18n import labels, normalize_lang
from maps.styles import PRIORITY_COLOUR, STATION_COLOUR, category_styles

__all__ = ["CONFIG_ID", "CONFIG_SLOT", "HEAD_SLOT", "MapPage", "render_map", "safe_json"]

# Zhongyuan District, Zhengzhou: where the map opens before the data arrives
_CENTRE = (34.75, 113.58)
# One wheel notch, one zoom level. Leaflet turns a wheel's pixels into levels by
# 4 * log2(2 / (1 + exp(-px / (4 * wheelPxPerZoomLevel)))) and rounds that up to the
# zoom snap: Chromium's notch of 100 px at Leaflet's default of 60 px a level gives
# 1.08, rounded up to 2. At 120 px a level a notch gives 0.57, so 1; two notches
# inside the 40 ms debounce still give 2. Folium adds no wheel handler of its own.
_WHEEL_PX_PER_ZOOM_LEVEL = 120
#: id of the ``<script type="application/json">`` element holding the page's config
CONFIG_ID = "zonewatch-config"
#: where the title, icon, preload and asset links go in the page Folium rendered
HEAD_SLOT = "<!--zonewatch:head-->"
#: where the config JSON block goes in the page Folium rendered
CONFIG_SLOT = "<!--zonewatch:config-->"


@dataclass
class MapPage:
    """What one map page shows and where it gets it.

    Exactly one of ``data_url`` (the server page fetches it) and ``data``
    (a file written to disk carries it inline) is set.
    """

    lang: str = "zh"
    basemap: Basemap = field(default_factory=lambda: Basemap("none", None, "wgs84"))
    tile_url: str | None = None  # what the browser asks for tiles (our proxy)
    basemaps: dict[str, Any] | None = None  # the basemap switcher and file layer (server pages)
    asset_prefix: str = "/assets/map/"
    data_url: str | None = None
    data: dict[str, Any] | None = None
    link_base: str = ""  # prefix of record and report links
    edit: MapEditing | None = None  # a signed-in editor's tools and CSRF token; None: no tools
    cases_url: str | None = None  # open cases by time left (maps.cases_layer); None: no layer
    focus: str | None = None  # a source's or a case's id to go to and open on arrival


def safe_json(value: Any) -> str:
    r"""Return JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become JSON unicode escapes, so no user text can
    close the element or open a comment; the JSON value is unchanged.

    Examples
    --------
    >>> safe_json({"name": "</script>"})
    '{"name":"\\u003c/script\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


class _ZonewatchSlots(MacroElement):
    """The two slots plus the call that draws every layer once the map exists.

    branca compiles this element's output again as a template, so it may
    hold fixed text and the map's generated name only: never a value.
    """

    _template = Template(
        "{% macro header(this, kwargs) %}" + HEAD_SLOT + "{% endmacro %}"
        "{% macro html(this, kwargs) %}" + CONFIG_SLOT + "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        "zonewatchMap({{ this._parent.get_name() }}, \"" + CONFIG_ID + "\");"
        "{% endmacro %}")

    def __init__(self) -> None:
        super().__init__()
        self._name = "ZonewatchSlots"


def render_map(page: MapPage) -> str:
    """Return the HTML of the map page.

    Raises
    ------
    InputError
        ``page.lang`` is not ``zh`` or ``en``.

    Examples
    --------
    >>> CONFIG_ID in render_map(MapPage(data_url="/map/data.json"))
    True
    """
    page = replace(page, lang=normalize_lang(page.lang))
    words = labels(page.lang)
    return fill_slots(_folium_page(), {
        HEAD_SLOT: _head(page, str(words["title"])),
        CONFIG_SLOT: (f'<script type="application/json" id="{CONFIG_ID}">'
                      f"{safe_json(_config(page, words))}</script>"),
    })


def _folium_page() -> str:
    """Return Folium's page: the map, its own styles and the two slots; no data at all."""
    # zoom and scale controls come from zonewatch-map.js: translated titles, metric only.
    # The view set here lasts until the data arrives: zonewatch-map.js then fits the district.
    fmap = folium.Map(location=_CENTRE, zoom_start=12, tiles=None, prefer_canvas=True,
                      control_scale=False, zoom_control=False, max_zoom=19,
                      zoom_snap=1, zoom_delta=1,
                      wheel_px_per_zoom_level=_WHEEL_PX_PER_ZOOM_LEVEL)
    fmap.default_js = []  # Leaflet comes first in our own list (HEAD_SLOT); no jQuery
    fmap.default_css = []
    _ZonewatchSlots().add_to(fmap)
    root = fmap.get_root()
    assert isinstance(root, Figure)  # a Map's root is always its Figure
    return root.render()


def fill_slots(page_html: str, fills: dict[str, str]) -> str:
    """Put each text of ``fills`` into its slot of ``page_html``, in one pass.

    The slots are checked on the page as rendered, before any text goes in,
    and the one pass never looks into what it inserted: a ledger text that
    happens to contain a slot stays text.

    Raises
    ------
    RuntimeError
        A slot is missing from ``page_html`` or occurs more than once.

    Examples
    --------
    >>> fill_slots("<p><!--a--></p>", {"<!--a-->": "<!--a--> x"})
    '<p><!--a--> x</p>'
    """
    for slot in fills:
        found = page_html.count(slot)
        if found != 1:  # a Folium upgrade moved or copied the element: refuse, never guess
            raise RuntimeError(f"the map page holds {found} copies of slot {slot!r}; expected 1")
    pattern = re.compile("|".join(re.escape(slot) for slot in fills))
    return pattern.sub(lambda match: fills[match.group(0)], page_html)


def _head(page: MapPage, title: str) -> str:
    """Return the ``<head>`` tags: title, icon, data preload, scripts and stylesheets."""
    tags = [f"<title>{html.escape(title)}</title>",
            '<link rel="icon" href="data:,">']  # no favicon request
    if page.data_url:  # start the data download while the scripts load
        tags.append(f'<link rel="preload" href="{html.escape(page.data_url)}" as="fetch" '
                    'crossorigin="anonymous">')
    tags += [f'<script src="{html.escape(url)}"></script>'
             for _, url in script_urls(page.asset_prefix, editing=page.edit is not None)]
    tags += [f'<link rel="stylesheet" href="{html.escape(url)}">'
             for _, url in style_urls(page.asset_prefix, editing=page.edit is not None)]
    return "\n    ".join(tags)


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
        "basemaps": page.basemaps,
        "linkBase": page.link_base,
        "edit": None if page.edit is None else page.edit.as_config(),
        "casesUrl": page.cases_url,
        "focus": page.focus,
    }
