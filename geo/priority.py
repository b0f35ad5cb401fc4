"""Priority targets: sources joined with their derived flags, and summaries.

Derived fields (``priority``, ``nearest_station``, ``distance_m``,
``stations``) come from the store's :meth:`~geo.store.base.Store.flag_priority`,
which runs the exact engine (GeoPackage) or the same test in the database
(PostGIS); they are joined here, never stored.

The flags of every source are small (five columns); the sources themselves
are not. :class:`FlaggedPages` therefore flags once, then reads the sources
it needs a page at a time, so an export of the whole ledger holds one page
of sources in memory, not the ledger twice over.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.store.base import Query, Store

__all__ = [
    "DERIVED_FIELDS",
    "FlaggedPages",
    "flagged_pages",
    "flagged_sources",
    "join_derived",
    "priority_order",
    "summarize_priority",
]

DERIVED_FIELDS = ("priority", "nearest_station", "distance_m", "stations")
PAGE_SIZE = 10_000


@dataclass(frozen=True)
class FlaggedPages:
    """Flagged sources in the order :func:`flagged_sources` gives, read a page at a time.

    ``len()`` is the number of sources; iterating yields (Geo)DataFrames of at
    most ``page_size`` rows (all in one when None), at least one (empty when
    there are no sources) so that writers always see the columns.
    """

    store: Store
    flags: pd.DataFrame  # the rows to yield, in order: id plus the derived fields
    page_size: int | None = PAGE_SIZE

    def __len__(self) -> int:
        return len(self.flags)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        size = self.page_size or max(len(self.flags), 1)
        for start in range(0, len(self.flags), size) or range(1):
            part = self.flags.iloc[start : start + size]
            ids = tuple(part["id"].tolist())
            yield join_derived(self.store.read("sources", query=Query(ids=ids)), part)


def flagged_pages(
    store: Store,
    *,
    radius_m: float | None = None,
    only_priority: bool = False,
    page_size: int | None = PAGE_SIZE,
) -> FlaggedPages:
    """Return the flagged sources as pages (see :func:`flagged_sources` for the fields).

    Parameters
    ----------
    store : Store
        The ledger.
    radius_m : float, optional
        Override every station's own radius for this run.
    only_priority : bool, default False
        Keep only sources inside some station's radius, nearest first.
    page_size : int or None, default 10000
        Sources read per page; None reads them all in one page (for writers
        that need the whole layer at once).

    Examples
    --------
    >>> pages = flagged_pages(store, only_priority=True)  # doctest: +SKIP
    >>> len(pages), sum(len(page) for page in pages)  # doctest: +SKIP
    (1375, 1375)
    """
    flags = store.flag_priority(radius_m=radius_m)
    if only_priority:
        flags = priority_order(flags)
    return FlaggedPages(store, flags.reset_index(drop=True), page_size)


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
    flags = store.flag_priority(radius_m=radius_m)
    if only_priority:
        return next(iter(FlaggedPages(store, priority_order(flags), page_size=None)))
    return join_derived(store.read("sources"), flags)  # all of them: no ids to look up


def join_derived(sources: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of ``sources`` in the order of ``flags``, with the derived fields.

    Rows are matched by ``id``. Only sources with flags are returned: one
    deleted or added between the read and the flagging (another
    transaction) is left out rather than shown with made-up flags.

    Examples
    --------
    >>> sources = pd.DataFrame({"id": ["a", "b"], "name": ["x", "y"]})
    >>> flags = pd.DataFrame({"id": ["b"], "priority": [True], "nearest_station": ["m"],
    ...                       "distance_m": [12.5], "stations": [["m"]]})
    >>> join_derived(sources, flags)
      id name  priority nearest_station  distance_m stations
    0  b    y      True               m        12.5      [m]
    """
    wanted = flags["id"].to_numpy(dtype=object)
    found = pd.Index(sources["id"].to_numpy(dtype=object)).get_indexer(wanted)
    have = found >= 0
    if not have.all():
        found, flags = found[have], flags[have]
    if len(found) != len(sources) or (found != np.arange(len(found))).any():
        sources = sources.iloc[found]  # skipped when already in order: no copy of the rows
    out = sources.reset_index(drop=True)
    for column in DERIVED_FIELDS:
        out[column] = flags[column].to_numpy()
    return out


def priority_order(flags: pd.DataFrame) -> pd.DataFrame:
    """Keep the flag rows inside some station's radius, nearest first (ties by id)."""
    inside = flags[flags["priority"].eq(True)]
    return inside.sort_values(["distance_m", "id"], kind="stable").reset_index(drop=True)


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
