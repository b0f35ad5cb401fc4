"""Roll-ups the bureau reports upward, computed from the ledger.

Each roll-up is a small pandas function over the store's frames, returning a
:class:`View`: a titled table whose columns are stable keys (``operating``,
``in_use_share`` ...) with Chinese headers in :data:`LABELS`. Shares are
fractions 0..1 rounded to 4 decimals; every output (JSON, CSV, XLSX, HTML)
shows the same numbers. :func:`build_report` assembles the views for one
``by=`` breakdown, optionally restricted to the sources inside one station's
radius.

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
from geo.history import end_of_day
from geo.ledger import CATEGORIES, STATUSES, now_utc
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
    "station_counts",
    "status_category",
]

BREAKDOWNS = ("category", "status", "community", "grid", "station")
COVERED_CATEGORIES = ("catering", "night_market")
ROUND_CATEGORIES = ("catering",)

CATEGORY_LABELS = {
    "catering": "餐饮",
    "bbq": "露天烧烤",
    "night_market": "夜市",
    "construction_site": "建筑工地",
    "muck_route": "渣土车路线",
    "industrial": "工业",
    "other": "其他",
}
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
    "in_radius": "监测点半径内",
    "in_radius_share": "半径内占比",
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


def _share(part: pd.Series | int, whole: pd.Series | int) -> Any:
    if isinstance(whole, pd.Series):
        return (part / whole.where(whole > 0)).fillna(0.0).round(4)
    return round(part / whole, 4) if whole else 0.0


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
    """Count sources inside each station's radius per category (near two: counted twice)."""
    table = summarize_priority(flagged) if len(flagged) else pd.DataFrame()
    table = table.drop(index="total", columns="all", errors="ignore")
    table = table.reindex(index=list(stations["id"]), columns=list(CATEGORIES), fill_value=0)
    table = table.fillna(0).astype(int)
    table["total"] = table.sum(axis=1)
    table.insert(0, "radius_m", stations.set_index("id")["radius_m"].astype(float).round(1))
    table.insert(0, "station_name", stations.set_index("id")["name"])
    return table.rename_axis("station").reset_index()


def area_counts(flagged: pd.DataFrame, *, key: str) -> pd.DataFrame:
    """Count sources per community or grid: total, inside some radius, share, per category.

    Parameters
    ----------
    flagged : DataFrame
        Sources with the derived ``priority`` column (:func:`geo.priority.flagged_sources`).
    key : {"community", "grid"}
        The area field to group by.
    """
    if key not in ("community", "grid"):
        raise InputError(f"area key must be community or grid, got {key!r}")
    frame = flagged.assign(**{key: flagged[key].fillna("（未登记）")})
    places = ["subdistrict", "community"] if key == "community" else ["grid", "community"]
    frame = frame.assign(**{p: frame[p].fillna("（未登记）") for p in places})
    hits = frame[frame["priority"].fillna(False).astype(bool)]
    total = frame.groupby(places).size().rename("sources")
    if len(hits):
        inside = hits.groupby([*places, "category"]).size().unstack("category")
    else:  # unstacking nothing gives no frame to join
        inside = pd.DataFrame(index=total.index)
    table = total.to_frame().join(inside).reindex(columns=["sources", *CATEGORIES])
    cats = list(CATEGORIES)
    table = table.fillna(0).astype(int).reset_index()
    table.insert(len(places) + 1, "in_radius", table[cats].sum(axis=1))
    table.insert(len(places) + 2, "in_radius_share", _share(table["in_radius"], table["sources"]))
    return table.sort_values(places, kind="stable").reset_index(drop=True)


def round_coverage(
    sources: pd.DataFrame,
    inspections: pd.DataFrame,
    *,
    categories: tuple[str, ...] = ROUND_CATEGORIES,
) -> pd.DataFrame:
    """Inspection-round coverage per community: checked, not yet checked, violations.

    The premises of a community are its sources of ``categories`` (closed ones
    too: a round visit records the closure). A premise counts as checked in a
    round when it has any inspection of that round, and once under
    ``violations`` when any of them found a violation.
    """
    premises = sources[sources["category"].isin(categories)]
    premises = premises.assign(community=premises["community"].fillna("（未登记）"),
                               subdistrict=premises["subdistrict"].fillna("（未登记）"))
    places = ["subdistrict", "community"]
    visits = inspections[inspections["round"].notna()]
    visits = visits.merge(premises[["id", *places]], left_on="source_id", right_on="id")
    rounds = sorted({int(r) for r in visits["round"]})
    size = premises.groupby(places).size().rename("premises")
    parts = []
    for round_no in rounds:
        this = visits[visits["round"].astype(int) == round_no]
        checked = this.groupby(places)["source_id"].nunique().rename("checked")
        bad = this[this["result"] == "violation"].groupby(places)["source_id"].nunique()
        part = pd.concat([size, checked, bad.rename("violations")], axis=1).fillna(0)
        parts.append(part.astype(int).reset_index().assign(round=round_no))
    columns = [*places, "round", "premises", "checked", "not_checked", "violations",
               "checked_share"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    table["not_checked"] = table["premises"] - table["checked"]
    table["checked_share"] = _share(table["checked"], table["premises"])
    return table.sort_values([*places, "round"], kind="stable")[columns].reset_index(drop=True)


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


def _status_at(store: Store, day: dt.date, ids: set[str] | None) -> dict[str, str]:
    """Status of every source alive at the end of ``day`` (UTC), from the history."""
    entries = store.history_until("sources", end_of_day(day.isoformat()))
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
        How many months, ending with the month of ``today`` (UTC).
    source_ids : set of str, optional
        Restrict the history counts to these sources.
    """
    if months < 1:
        raise InputError(f"months must be at least 1, got {months}")
    firsts = _months(today or dt.datetime.now(dt.UTC).date(), months)
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


def headline(
    sources: pd.DataFrame, flagged: pd.DataFrame, purifier: pd.DataFrame,
    rounds: pd.DataFrame,
) -> pd.DataFrame:
    """Return the figures a report quotes first, as ``figure`` / ``value`` rows."""
    cov = purifier.set_index("category")
    closed = sources[sources["status"] == "closed"]["category"].value_counts()
    figures = [
        ("污染源总数", int(len(sources))),
        ("监测点半径内污染源", int(flagged["priority"].fillna(False).astype(bool).sum())),
        ("在营餐饮单位", int(cov.loc["catering", "active"])),
        ("餐饮油烟净化装置使用率", float(cov.loc["catering", "in_use_share"])),
        ("已取缔露天烧烤", int(closed.get("bbq", 0))),
        ("在营夜市", int(cov.loc["night_market", "active"])),
        ("夜市油烟净化装置安装率", float(cov.loc["night_market", "fitted_share"])),
        ("完成检查轮次", int(rounds["round"].nunique()) if len(rounds) else 0),
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
