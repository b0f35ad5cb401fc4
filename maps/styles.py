"""Colours and symbols of the map: one per source category, plus stations.

Colours come from ColorBrewer's qualitative "Set1"/"Dark2" families, chosen to
stay apart for common colour-vision deficiencies and on light basemaps.
"""

from __future__ import annotations

from geo.ledger import CATEGORIES

__all__ = ["CATEGORY_STYLES", "PRIORITY_COLOUR", "STATION_COLOUR", "category_styles"]

# colour, symbol letter drawn on cluster bubbles and in the legend
CATEGORY_STYLES: dict[str, dict[str, str]] = {
    "catering": {"colour": "#1f78b4", "symbol": "餐"},
    "bbq": {"colour": "#ff7f00", "symbol": "烤"},
    "night_market": {"colour": "#6a3d9a", "symbol": "夜"},
    "construction_site": {"colour": "#b15928", "symbol": "工"},
    "muck_route": {"colour": "#33a02c", "symbol": "渣"},
    "industrial": {"colour": "#e7298a", "symbol": "厂"},
    "other": {"colour": "#666666", "symbol": "他"},
}
PRIORITY_COLOUR = "#e31a1c"
STATION_COLOUR = "#0b3c5d"


def category_styles() -> dict[str, dict[str, str]]:
    """Return the style of every ledger category, in the ledger's order."""
    return {name: CATEGORY_STYLES.get(name, CATEGORY_STYLES["other"]) for name in CATEGORIES}
