"""What the workspace's home page shows: priority counts, the round, cases, recent changes.

Open and overdue cases are counted as :mod:`geo.cases.frames` judges them.

A priority target is a source not ``closed`` inside some station's radius;
closed ones inside a radius are counted apart, as the re-check list
(DESIGN, "Priority").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from geo.cases.frames import open_mask, overdue_mask
from geo.inspections.rounds import current_round, due_sources, round_visits
from geo.ledger import now_utc
from geo.priority import flagged_sources
from geo.store.base import HistoryEntry, Store

__all__ = ["Overview", "StationCount", "overview", "station_counts"]

_LAYERS = ("sources", "stations", "inspections")


@dataclass(frozen=True)
class StationCount:
    """One station with how many priority targets and re-checks lie within its radius."""

    id: str
    name: str
    radius_m: float
    priority: int
    recheck: int


@dataclass(frozen=True)
class Overview:
    """The figures of the home page."""

    sources: int
    priority: int
    recheck: int
    stations: list[StationCount]
    round_no: int
    due: int
    checked: int
    recent: list[HistoryEntry]
    open_cases: int = 0
    overdue_cases: int = 0


def _in_station(flagged: pd.DataFrame, station_id: str) -> pd.Series:
    return flagged["stations"].map(
        lambda ids: isinstance(ids, list | tuple) and station_id in ids)


def _station_counts(flagged: pd.DataFrame, stations: pd.DataFrame) -> list[StationCount]:
    priority, recheck = flagged["priority"].astype(bool), flagged["recheck"].astype(bool)
    counts = []
    for row in stations.itertuples():
        inside = _in_station(flagged, str(row.id))
        counts.append(StationCount(
            id=str(row.id), name=str(row.name), radius_m=float(row.radius_m),
            priority=int((inside & priority).sum()), recheck=int((inside & recheck).sum())))
    return counts


def station_counts(store: Store) -> list[StationCount]:
    """Return each station with its priority targets and re-checks, as the home page counts."""
    return _station_counts(flagged_sources(store), store.read("stations"))


def recent_changes(store: Store, *, limit: int = 10) -> list[HistoryEntry]:
    """Return the last change of the most recently changed features, newest first."""
    now = now_utc()
    entries = [e for layer in _LAYERS for e in store.history_until(layer, now)]
    entries.sort(key=lambda e: (e.at, e.seq), reverse=True)
    return entries[:limit]


def overview(store: Store, *, recent: int = 10) -> Overview:
    """Return the home page's figures for ``store``.

    Parameters
    ----------
    store : Store
        The ledger.
    recent : int, default 10
        How many recent changes to list.
    """
    flagged = flagged_sources(store)
    inspections = store.read("inspections")
    round_no = current_round(inspections)
    due = due_sources(flagged, inspections, round_no=round_no)
    visited = set(round_visits(inspections, round_no=round_no).get("source_id", []))
    cases = store.read("cases")
    return Overview(
        sources=len(flagged), priority=int(flagged["priority"].astype(bool).sum()),
        recheck=int(flagged["recheck"].astype(bool).sum()),
        stations=_station_counts(flagged, store.read("stations")), round_no=round_no,
        due=int((~due["id"].isin(visited)).sum()), checked=int(due["id"].isin(visited).sum()),
        recent=recent_changes(store, limit=recent), open_cases=int(open_mask(cases).sum()),
        overdue_cases=int(overdue_mask(cases, dt.datetime.now(dt.UTC)).sum()))
