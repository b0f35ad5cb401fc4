"""Priority targets: sources joined with their derived flags, and summaries.

Derived fields (``priority``, ``nearest_station``, ``distance_m``,
``stations``) come from the store's :meth:`~geo.store.base.Store.flag_priority`,
which runs the exact engine (GeoPackage) or the same test in the database
(PostGIS); they are joined here, never stored.
"""

from __future__ import annotations

import pandas as pd

from geo.store.base import Store

__all__ = ["DERIVED_FIELDS", "flagged_sources", "summarize_priority"]

DERIVED_FIELDS = ("priority", "nearest_station", "distance_m", "stations")


def flagged_sources(
    store: Store, *, radius_m: float | None = None, only_priority: bool = False
) -> pd.DataFrame:
    """Return every source with its derived priority fields.

    Parameters
    ----------
    store : Store
        The ledger.
    radius_m : float, optional
        Override every station's own radius for this run.
    only_priority : bool, default False
        Keep only sources inside some station's radius, nearest first.

    Returns
    -------
    GeoDataFrame
        The sources layer plus ``priority``, ``nearest_station``,
        ``distance_m`` (metres, geodesic) and ``stations`` (ids, nearest first).
    """
    sources = store.read("sources")
    flags = store.flag_priority(radius_m=radius_m)
    merged = sources.merge(flags[["id", *DERIVED_FIELDS]], on="id", how="left", validate="1:1")
    if only_priority:
        merged = merged[merged["priority"].fillna(False).astype(bool)]
        merged = merged.sort_values(["distance_m", "id"], kind="stable")
    return merged.reset_index(drop=True)


def summarize_priority(flagged: pd.DataFrame) -> pd.DataFrame:
    """Count priority sources per station and category.

    A source inside several stations' radii counts once for each of them
    (the ``total`` row counts it once).

    Returns
    -------
    DataFrame
        Index: station ids plus ``total``; columns: categories plus ``all``.
    """
    hits = flagged[flagged["priority"].fillna(False).astype(bool)]
    per_station = hits[["id", "category", "stations"]].explode("stations")
    table = pd.crosstab(per_station["stations"], per_station["category"])
    table.loc["total"] = hits["category"].value_counts()
    table = table.fillna(0).astype(int)
    table["all"] = table.sum(axis=1)
    table.index.name = "station"
    return table
