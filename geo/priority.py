"""Priority targets: sources joined with their derived flags, and summaries.

Derived fields (``priority``, ``recheck``, ``nearest_station``,
``distance_m``, ``stations``) come from the store's
:meth:`~geo.store.base.Store.flag_priority`, which runs the exact engine
(GeoPackage) or the same test in the database (PostGIS); they are joined
here, never stored.

A priority target is a source that is not ``closed`` and lies inside some
station's radius; a closed one inside a radius is on the re-check list
(``recheck``: shut stalls come back) and is not a priority target
(:func:`split_closed`, the one place the rule is written for frames).

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
    "split_closed",
    "summarize_priority",
]

DERIVED_FIELDS = ("priority", "recheck", "nearest_station", "distance_m", "stations")
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
    include_closed: bool = False,
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
        Keep only the priority targets (not closed, inside some station's
        radius), nearest first.
    include_closed : bool, default False
        With ``only_priority``, keep the re-check list too (closed sources
        inside a radius, ``recheck`` True).
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
        flags = priority_order(flags, include_closed=include_closed)
    return FlaggedPages(store, flags.reset_index(drop=True), page_size)


def flagged_sources(
    store: Store, *, radius_m: float | None = None, only_priority: bool = False,
    include_closed: bool = False,
) -> pd.DataFrame:
    """Return every source with its derived priority fields.

    Parameters
    ----------
    store : Store
        The ledger.
    radius_m : float, optional
        Override every station's own radius for this run.
    only_priority : bool, default False
        Keep only the priority targets, nearest first.
    include_closed : bool, default False
        With ``only_priority``, keep the re-check list too.

    Returns
    -------
    GeoDataFrame
        The sources layer plus ``priority``, ``recheck``, ``nearest_station``,
        ``distance_m`` (metres, geodesic) and ``stations`` (ids, nearest first).
    """
    flags = store.flag_priority(radius_m=radius_m)
    if only_priority:
        chosen = priority_order(flags, include_closed=include_closed)
        return next(iter(FlaggedPages(store, chosen, page_size=None)))
    return join_derived(store.read("sources"), flags)  # all of them: no ids to look up


def join_derived(sources: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of ``sources`` in the order of ``flags``, with the derived fields.

    Rows are matched by ``id``. Only sources with flags are returned: one
    deleted or added between the read and the flagging (another
    transaction) is left out rather than shown with made-up flags.

    Examples
    --------
    >>> sources = pd.DataFrame({"id": ["a", "b"], "name": ["x", "y"]})
    >>> flags = pd.DataFrame({"id": ["b"], "priority": [True], "recheck": [False],
    ...                       "nearest_station": ["m"], "distance_m": [12.5], "stations": [["m"]]})
    >>> join_derived(sources, flags)
      id name  priority  recheck nearest_station  distance_m stations
    0  b    y      True    False               m        12.5      [m]
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


def priority_order(flags: pd.DataFrame, *, include_closed: bool = False) -> pd.DataFrame:
    """Keep the priority rows (and the re-check ones if asked), nearest first (ties by id)."""
    keep = flags["priority"].eq(True)
    if include_closed:
        keep |= flags["recheck"].eq(True)
    return flags[keep].sort_values(["distance_m", "id"], kind="stable").reset_index(drop=True)


def split_closed(flags: pd.DataFrame, status: pd.Series) -> pd.DataFrame:
    """Turn the engine's "inside some radius" into ``priority`` and ``recheck``.

    Parameters
    ----------
    flags : DataFrame
        The engine's rows (:meth:`geo.radius.FlagResult.to_frame`), whose
        ``priority`` means inside some station's radius.
    status : Series
        Each source's status, in the order of ``flags`` (blank counts as
        operating).

    Returns
    -------
    DataFrame
        ``flags`` with ``priority`` = inside and not closed and ``recheck``
        = inside and closed, right after it.

    Examples
    --------
    >>> flags = pd.DataFrame({"id": ["a", "b", "c"], "priority": [True, True, False]})
    >>> split_closed(flags, pd.Series(["operating", "closed", "closed"]))
      id  priority  recheck
    0  a      True    False
    1  b     False     True
    2  c     False    False
    """
    inside = flags["priority"].to_numpy(dtype=bool)
    closed = (pd.Series(status).fillna("operating").to_numpy(dtype=object) == "closed")
    out = flags.copy()
    out["priority"] = inside & ~closed
    out.insert(int(out.columns.get_loc("priority")) + 1, "recheck", inside & closed)
    return out


def summarize_priority(flagged: pd.DataFrame) -> pd.DataFrame:
    """Count priority targets per station and category.

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
