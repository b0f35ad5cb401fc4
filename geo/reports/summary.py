"""Roll-ups the bureau reports upward, computed from the ledger.

Each roll-up is a small pandas function over the store's frames, returning a
:class:`View`: a titled table whose columns are stable keys (``operating``,
``in_use_share`` ...) with Chinese headers in :data:`LABELS`. Shares are
fractions 0..1 rounded to 4 decimals, NaN when there is nothing to share
(null in JSON, :data:`NOT_APPLICABLE` elsewhere); every output (JSON, CSV,
XLSX, HTML) shows the same numbers. Which premises an inspection round must
check is :func:`geo.inspections.rounds.due_sources`, shared with campaign progress.
:func:`build_report` assembles the views for one ``by=`` breakdown,
optionally restricted to the sources inside one station's radius.

Change over time: the store protocol offers ``history_until`` (the state of
every feature at an instant), so the monthly ``new`` / ``closed`` /
``rectifying`` / ``rectified`` counts compare the ledger at consecutive month
ends; inspection counts come from the inspection dates. A method reading the
whole history of a layer at once would save the per-month reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.inspections.rounds import ROUND_CATEGORIES, due_sources, round_visits
from geo.ledger import (
    BUREAU_TZ,
    CATEGORIES,
    CATEGORY_LABELS_ZH,
    STATUSES,
    bureau_today,
    now_utc,
)
from geo.priority import flagged_sources, summarize_priority
from geo.store.base import Store

__all__ = [
    "BREAKDOWNS",
    "CATEGORY_LABELS",
    "LABELS",
    "STATUS_LABELS",
    "Report",
    "View",
    "area_counts",
    "build_report",
    "category_status",
    "headline",
    "monthly_trend",
    "purifier_coverage",
    "round_coverage",
    "round_progress",
    "station_counts",
    "status_category",
]

BREAKDOWNS = ("category", "status", "community", "grid", "station")
COVERED_CATEGORIES = ("catering", "night_market")
#: Text of a cell that has no meaning (a share of nothing), in every format.
NOT_APPLICABLE = "—"

CATEGORY_LABELS = CATEGORY_LABELS_ZH
STATUS_LABELS = {"operating": "正常经营", "rectifying": "整改中", "closed": "已关停/取缔"}
#: Chinese header of every column key used by the views.
LABELS: dict[str, str] = {
    **CATEGORY_LABELS,
    **STATUS_LABELS,
    "figure": "指标",
    "value": "数值",
    "category": "类别",
    "status": "状态",
    "total": "合计",
    "station": "监测点编号",
    "station_name": "监测点名称",
    "radius_m": "半径（米）",
    "subdistrict": "街道",
    "community": "社区",
    "grid": "网格",
    "sources": "污染源数",
    "priority": "重点管控合计（半径内未关停）",
    "priority_share": "重点管控占比",
    "recheck": "待复查（半径内已关停）",
    # the area views count every source per category, and these priority targets among them
    **{f"{code}_priority": f"{label}（重点管控）" for code, label in CATEGORY_LABELS.items()},
    "active": "在营数（不含已关停）",
    "installed": "已安装未使用",
    "in_use": "已安装并使用",
    "none": "未安装",
    "unknown": "未登记",
    "in_use_share": "使用率",
    "fitted_share": "安装率",
    "round": "轮次",
    "premises": "应查数",
    "checked": "已检查",
    "not_checked": "未检查",
    "violations": "违规数",
    "checked_share": "检查覆盖率",
    "month": "月份",
    "new": "新增",
    "rectified": "整改完成",
    "inspections": "检查次数",
    "closed_down": "检查取缔",
}
TITLES = {
    "summary": "概要",
    "category": "按类别与状态",
    "status": "按状态与类别",
    "purifier": "油烟净化装置覆盖",
    "station": "监测点半径内污染源（按类别）",
    "community": "按社区",
    "grid": "按网格",
    "rounds": "分轮次检查覆盖（按社区）",
    "trend": "逐月变化",
}
# Views of each breakdown, the main one first.
_VIEWS_OF = {
    "category": ("summary", "category", "purifier", "trend"),
    "status": ("summary", "status", "purifier", "trend"),
    "community": ("summary", "community", "rounds", "purifier"),
    "grid": ("summary", "grid"),
    "station": ("summary", "station", "category", "community", "purifier"),
}


@dataclass(frozen=True)
class View:
    """One titled table of a report; ``frame`` columns are keys of :data:`LABELS`."""

    name: str
    title: str
    frame: pd.DataFrame

    def share_columns(self) -> list[str]:
        """Columns holding fractions 0..1 (shown as percentages)."""
        return [c for c in self.frame.columns if str(c).endswith("_share")]


@dataclass(frozen=True)
class Report:
    """The views of one breakdown, with what they were computed from."""

    by: str
    station: dict[str, Any] | None
    generated_at: str
    views: list[View] = field(default_factory=list)

    def view(self, name: str) -> View:
        """Return the view called ``name``; KeyError if the report lacks it."""
        for v in self.views:
            if v.name == name:
                return v
        raise KeyError(name)


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    # a share of nothing is not applicable (NaN, shown "—"), not 0%: no night
    # markets is not the same as night markets without purifiers
    return (part / whole.where(whole > 0)).round(4)


def _counts(frame: pd.DataFrame, index: str, columns: str, keys: tuple[str, ...]) -> pd.DataFrame:
    table = pd.crosstab(frame[index], frame[columns]) if len(frame) else pd.DataFrame()
    table = table.reindex(columns=list(keys), fill_value=0).fillna(0).astype(int)
    table["total"] = table.sum(axis=1)
    return table


def category_status(sources: pd.DataFrame) -> pd.DataFrame:
    """Count sources per category (rows, every category) and status (columns).

    Examples
    --------
    >>> frame = pd.DataFrame({"category": ["bbq", "bbq"], "status": ["closed", "operating"]})
    >>> table = category_status(frame).set_index("category")
    >>> table.loc["bbq", ["operating", "closed", "total"]].tolist()
    [1, 1, 2]
    """
    table = _counts(sources, "category", "status", STATUSES)
    table = table.reindex(list(CATEGORIES), fill_value=0)
    table.loc["total"] = table.sum()
    return table.rename_axis("category").reset_index()


def status_category(sources: pd.DataFrame) -> pd.DataFrame:
    """Count sources per status (rows) and category (columns), with totals."""
    table = _counts(sources, "status", "category", CATEGORIES)
    table = table.reindex(list(STATUSES), fill_value=0)
    table.loc["total"] = table.sum()
    return table.rename_axis("status").reset_index()


def purifier_coverage(
    sources: pd.DataFrame, *, categories: tuple[str, ...] = COVERED_CATEGORIES
) -> pd.DataFrame:
    """Oil-fume purifier state of the sources still open (not closed), per category.

    ``fitted_share`` counts installed and in-use purifiers; ``in_use_share``
    only those in use. A closed premise has no purifier to run, so it is left out.
    """
    open_ = sources[(sources["status"] != "closed") & sources["category"].isin(categories)]
    state = open_["fume_purifier"].fillna("unknown")
    table = pd.crosstab(open_["category"], state) if len(open_) else pd.DataFrame()
    table = table.reindex(index=list(categories), columns=["in_use", "installed", "none",
                                                           "unknown"], fill_value=0)
    table = table.fillna(0).astype(int)
    table.insert(0, "active", table.sum(axis=1))
    table.loc["total"] = table.sum()
    table["fitted_share"] = _share(table["in_use"] + table["installed"], table["active"])
    table["in_use_share"] = _share(table["in_use"], table["active"])
    return table.rename_axis("category").reset_index()


def station_counts(flagged: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """Count priority targets inside each station's radius per category, and its re-checks.

    A source near two stations counts for each; ``recheck`` counts the
    closed sources inside the station's radius.
    """
    table = summarize_priority(flagged) if len(flagged) else pd.DataFrame()
    table = table.drop(index="total", columns="all", errors="ignore")
    table = table.reindex(index=list(stations["id"]), columns=list(CATEGORIES), fill_value=0)
    table = table.fillna(0).astype(int)
    table["total"] = table.sum(axis=1)
    closed = flagged[flagged["recheck"].astype(bool)]["stations"].explode() if len(flagged) \
        else pd.Series(dtype=object)
    table["recheck"] = closed.value_counts().reindex(table.index, fill_value=0).astype(int)
    table.insert(0, "radius_m", stations.set_index("id")["radius_m"].astype(float).round(1))
    table.insert(0, "station_name", stations.set_index("id")["name"])
    return table.rename_axis("station").reset_index()


def area_counts(flagged: pd.DataFrame, *, key: str) -> pd.DataFrame:
    """Count sources per community or grid: per category, and inside some station's radius.

    The category columns (``catering`` ...) count every source of the area;
    ``priority`` and the ``<category>_priority`` columns only the priority
    targets (not closed, inside some station's radius), with
    ``priority_share`` of all; ``recheck`` counts the closed ones inside a
    radius (the re-check list).

    Parameters
    ----------
    flagged : DataFrame
        Sources with the derived ``priority`` column (:func:`geo.priority.flagged_sources`).
    key : {"community", "grid"}
        The area field to group by.

    Examples
    --------
    >>> frame = pd.DataFrame({"category": ["bbq", "catering"], "priority": [True, False],
    ...                       "recheck": [False, True],
    ...                       "subdistrict": "街", "community": "东", "grid": "G1"})
    >>> table = area_counts(frame, key="community")
    >>> table.loc[0, ["sources", "bbq", "catering", "priority", "bbq_priority", "recheck"]].tolist()
    [2, 1, 1, 1, 1, 1]
    """
    if key not in ("community", "grid"):
        raise InputError(f"area key must be community or grid, got {key!r}")
    places = ["subdistrict", "community"] if key == "community" else ["grid", "community"]
    frame = flagged.assign(**{p: flagged[p].fillna("（未登记）") for p in places})
    priority = frame["priority"].fillna(False).astype(bool)
    cats = list(CATEGORIES)
    every = _per_category(frame, places, cats)
    hits = _per_category(frame[priority], places, cats).reindex(every.index, fill_value=0)
    rechecks = _per_category(frame[frame["recheck"].fillna(False).astype(bool)], places, cats)
    table = every.copy()
    table.insert(0, "sources", every.sum(axis=1))
    table["priority"] = hits.sum(axis=1)
    table["priority_share"] = _share(table["priority"], table["sources"])
    table[[f"{c}_priority" for c in cats]] = hits.to_numpy()
    table["recheck"] = rechecks.sum(axis=1).reindex(every.index, fill_value=0)
    table = table.reset_index()
    return table.sort_values(places, kind="stable").reset_index(drop=True)


def _count_true(flags: pd.Series) -> int:
    """Count the True values of a flag column (blank counts as False)."""
    return int(flags.fillna(False).astype(bool).sum())


def _per_category(frame: pd.DataFrame, places: list[str], cats: list[str]) -> pd.DataFrame:
    """Count sources per place (rows) and category (columns, all of ``cats``)."""
    if not len(frame):  # grouping nothing gives no columns to reindex
        index = pd.MultiIndex.from_tuples([], names=places)
        return pd.DataFrame(0, index=index, columns=cats)
    counts = frame.groupby([*places, "category"]).size().unstack("category")
    return counts.reindex(columns=cats).fillna(0).astype(int)


def round_coverage(sources: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """Inspection-round coverage per community: due, checked, not yet checked, violations.

    The premises of a community in a round are those due in it
    (:func:`geo.inspections.rounds.due_sources`: catering premises in operation, and
    those closed by a visit of that round), the same ones campaign progress
    counts. A premise counts as checked in a round when it has any inspection
    of that round, and once under ``violations`` when any of them found a
    violation. Only rounds with at least one check of a premise are listed.
    """
    places = ["subdistrict", "community"]
    sources = sources.assign(**{p: sources[p].fillna("（未登记）") for p in places})
    rounds = _rounds_checked(sources, inspections)
    columns = [*places, "round", "premises", "checked", "not_checked", "violations",
               "checked_share"]
    if not rounds:
        return pd.DataFrame(columns=columns)
    table = pd.concat([_one_round(sources, inspections, places, r) for r in rounds],
                      ignore_index=True)
    table["not_checked"] = table["premises"] - table["checked"]
    table["checked_share"] = _share(table["checked"], table["premises"])
    return table.sort_values([*places, "round"], kind="stable")[columns].reset_index(drop=True)


def _rounds_checked(sources: pd.DataFrame, inspections: pd.DataFrame) -> list[int]:
    """Return the rounds with at least one check of a round premise, ascending."""
    if not len(inspections):
        return []
    premises = set(sources.loc[sources["category"].isin(ROUND_CATEGORIES), "id"])
    visits = inspections[inspections["source_id"].isin(premises)]
    return sorted({int(r) for r in pd.to_numeric(visits["round"], errors="coerce").dropna()})


def _one_round(
    sources: pd.DataFrame, inspections: pd.DataFrame, places: list[str], round_no: int
) -> pd.DataFrame:
    """Count due, checked and violating premises per place in one round."""
    due = due_sources(sources, inspections, round_no=round_no)
    this = round_visits(inspections, round_no=round_no)
    this = this.merge(due[["id", *places]], left_on="source_id", right_on="id")
    size = due.groupby(places).size().rename("premises")
    checked = this.groupby(places)["source_id"].nunique().rename("checked")
    bad = this[this["result"] == "violation"].groupby(places)["source_id"].nunique()
    part = pd.concat([size, checked, bad.rename("violations")], axis=1).fillna(0)
    return part.astype(int).reset_index().assign(round=round_no)


def _months(last: dt.date, count: int) -> list[dt.date]:
    """First days of the ``count`` months ending with the month of ``last``."""
    year, month = last.year, last.month
    firsts = []
    for _ in range(count):
        firsts.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return firsts[::-1]


def _month_end(first: dt.date) -> dt.date:
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _bureau_day_end(day: dt.date) -> str:
    """Return the last millisecond of ``day`` in Beijing time as an ISO UTC stamp.

    Examples
    --------
    >>> _bureau_day_end(dt.date(2026, 11, 30))
    '2026-11-30T15:59:59.999Z'
    """
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), BUREAU_TZ)
    last = midnight.astimezone(dt.UTC) - dt.timedelta(milliseconds=1)
    return last.strftime("%Y-%m-%dT%H:%M:%S.") + f"{last.microsecond // 1000:03d}Z"


def _status_at(store: Store, day: dt.date, ids: set[str] | None) -> dict[str, str]:
    """Status of every source alive at the end of ``day`` (Beijing time), from the history."""
    entries = store.history_until("sources", _bureau_day_end(day))
    return {
        e.fid: str(e.after["properties"].get("status") or "operating")
        for e in entries
        if e.after is not None and (ids is None or e.fid in ids)
    }


def _changes(before: dict[str, str], after: dict[str, str]) -> dict[str, int]:
    """Count what happened between two month-end snapshots."""
    moved = [(before.get(fid), status) for fid, status in after.items()]
    return {
        "new": sum(1 for fid in after if fid not in before),
        "closed": sum(1 for old, new in moved if new == "closed" and old != "closed"),
        "rectifying": sum(1 for old, new in moved if new == "rectifying" and old != "rectifying"),
        "rectified": sum(1 for old, new in moved if old == "rectifying" and new == "operating"),
    }


def monthly_trend(
    store: Store,
    inspections: pd.DataFrame,
    *,
    months: int = 12,
    today: dt.date | None = None,
    source_ids: set[str] | None = None,
) -> pd.DataFrame:
    """Count new, closed, rectifying, rectified sources and inspections per month.

    Parameters
    ----------
    store : Store
        The ledger; its history gives the month-end states.
    inspections : DataFrame
        The inspections to count by ``date`` (already restricted to the
        sources of interest).
    months : int, default 12
        How many months, ending with the month of ``today`` (default: today in
        Beijing time). Months are the bureau's: a change at 23:30 Beijing time
        on the last day of a month counts in that month, as inspection dates do.
    source_ids : set of str, optional
        Restrict the history counts to these sources.
    """
    if months < 1:
        raise InputError(f"months must be at least 1, got {months}")
    firsts = _months(today or bureau_today(), months)
    previous = _status_at(store, firsts[0] - dt.timedelta(days=1), source_ids)
    dates = pd.to_datetime(inspections["date"], errors="coerce").dt.strftime("%Y-%m")
    rows = []
    for first in firsts:
        state = _status_at(store, _month_end(first), source_ids)
        month = first.strftime("%Y-%m")
        results = inspections.loc[dates == month, "result"]
        rows.append({"month": month, **_changes(previous, state),
                     "inspections": int(len(results)),
                     "violations": int((results == "violation").sum()),
                     "closed_down": int((results == "closed_down").sum())})
        previous = state
    return pd.DataFrame(rows)


def round_progress(rounds: pd.DataFrame) -> pd.DataFrame:
    """Sum the rounds view (:func:`round_coverage`) per round and tell which are completed.

    A round is completed when every premise due in it was checked in it;
    the others are still in progress (or were left unfinished).

    Examples
    --------
    >>> rounds = pd.DataFrame({"round": [1, 1, 2], "premises": [2, 1, 3],
    ...                        "checked": [2, 1, 1]})
    >>> round_progress(rounds)["completed"].tolist()
    [True, False]
    """
    per = rounds.groupby("round")[["premises", "checked"]].sum().astype(int)
    per["completed"] = (per["checked"] >= per["premises"]) & (per["premises"] > 0)
    return per.reset_index()


def _in_progress(progress: pd.DataFrame) -> str | None:
    """Describe unfinished rounds as ``第4轮 1/2026`` (checked/due); None if there are none."""
    open_ = progress[~progress["completed"]]
    parts = [f"第{int(r.round)}轮 {int(r.checked)}/{int(r.premises)}" for r in
             open_.itertuples()]
    return "；".join(parts) or None


def _share_figure(value: Any) -> float | None:
    # NaN (a share of nothing) becomes None: JSON null, "—" on the page and in files
    return None if value is None or pd.isna(value) else float(value)


def headline(
    sources: pd.DataFrame, flagged: pd.DataFrame, purifier: pd.DataFrame,
    rounds: pd.DataFrame,
) -> pd.DataFrame:
    """Return the figures a report quotes first, as ``figure`` / ``value`` rows.

    "完成检查轮次" counts the rounds in which every premise due was checked
    (:func:`round_progress`); rounds under way are listed separately with
    their checked/due counts, so one early check of the next round does not
    count as a round done.
    """
    cov = purifier.set_index("category")
    closed = sources[sources["status"] == "closed"]["category"].value_counts()
    progress = round_progress(rounds)
    figures = [
        ("污染源总数", int(len(sources))),
        ("重点管控污染源（半径内未关停）", _count_true(flagged["priority"])),
        ("待复查（半径内已关停）", _count_true(flagged["recheck"])),
        ("在营餐饮单位", int(cov.loc["catering", "active"])),
        ("餐饮油烟净化装置使用率", _share_figure(cov.loc["catering", "in_use_share"])),
        ("已取缔露天烧烤", int(closed.get("bbq", 0))),
        ("在营夜市", int(cov.loc["night_market", "active"])),
        ("夜市油烟净化装置安装率", _share_figure(cov.loc["night_market", "fitted_share"])),
        ("完成检查轮次", int(progress["completed"].sum())),
        ("进行中检查轮次（已查/应查）", _in_progress(progress)),
        ("检查发现违规（户次）", int(rounds["violations"].sum()) if len(rounds) else 0),
    ]
    # object dtype keeps counts as int next to shares as float
    return pd.DataFrame({"figure": [f for f, _ in figures],
                         "value": pd.Series([v for _, v in figures], dtype=object)})


def _in_station(flagged: pd.DataFrame, station_id: str) -> pd.Series:
    return flagged["stations"].map(lambda ids: station_id in list(ids) if ids is not None
                                   and not isinstance(ids, float) else False)


def build_report(
    store: Store,
    *,
    by: str = "category",
    station: str | None = None,
    radius_m: float | None = None,
    months: int = 12,
    today: dt.date | None = None,
) -> Report:
    """Compute the views of one breakdown of the ledger.

    Parameters
    ----------
    store : Store
        The ledger.
    by : {"category", "status", "community", "grid", "station"}
        The main breakdown; it decides which views the report holds
        (always ``summary`` first, then the breakdown's own view).
    station : str, optional
        Restrict every figure to the sources inside this station's radius.
    radius_m : float, optional
        Override every station's radius.
    months, today
        Span of the monthly trend (see :func:`monthly_trend`).

    Returns
    -------
    Report

    Raises
    ------
    InputError
        Unknown ``by``; NotFoundError for an unknown ``station``.

    Examples
    --------
    >>> report = build_report(store, by="category")  # doctest: +SKIP
    >>> report.view("category").frame.set_index("category").loc["bbq", "closed"]  # doctest: +SKIP
    347
    """
    if by not in BREAKDOWNS:
        raise InputError(f"unknown breakdown by={by!r}; expected one of: {', '.join(BREAKDOWNS)}")
    flagged = flagged_sources(store, radius_m=radius_m)
    stations = store.read("stations")
    inspections = store.read("inspections")
    meta = None
    if station is not None:
        found = store.get("stations", station)
        radius = radius_m if radius_m is not None else float(found.properties["radius_m"])
        meta = {"id": found.id, "name": found.properties.get("name"), "radius_m": radius}
        flagged = flagged[_in_station(flagged, station)].reset_index(drop=True)
        stations = stations[stations["id"] == station]
        inspections = inspections[inspections["source_id"].isin(set(flagged["id"]))]
    frames = _frames(store, by, flagged, stations, inspections, station, months, today)
    views = [View(name, TITLES[name], frames[name].rename_axis(columns=None))
             for name in _VIEWS_OF[by]]
    stamp = now_utc()
    return Report(by=by, station=meta, generated_at=stamp, views=views)


def _frames(
    store: Store, by: str, flagged: pd.DataFrame, stations: pd.DataFrame,
    inspections: pd.DataFrame, station: str | None, months: int, today: dt.date | None,
) -> dict[str, pd.DataFrame]:
    wanted = set(_VIEWS_OF[by])
    purifier = purifier_coverage(flagged)
    rounds = round_coverage(flagged, inspections)
    frames = {"summary": headline(flagged, flagged, purifier, rounds), "purifier": purifier,
              "rounds": rounds}
    if "category" in wanted:
        frames["category"] = category_status(flagged)
    if "status" in wanted:
        frames["status"] = status_category(flagged)
    if "station" in wanted:
        frames["station"] = station_counts(flagged, stations)
    for key in ("community", "grid"):
        if key in wanted:
            frames[key] = area_counts(flagged, key=key)
    if "trend" in wanted:
        ids = set(flagged["id"]) if station is not None else None
        frames["trend"] = monthly_trend(store, inspections, months=months, today=today,
                                        source_ids=ids)
    return frames
