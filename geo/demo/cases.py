"""A month of cases for the demonstration ledger: November 2026, Beijing time.

The demo's year is 2026 (the report's inspection rounds run January to
September), so its cases fill the month after: 1 November 00:00 to
1 December 00:00 China Standard Time (:data:`MONTH_END`, the moment the
demo's cases stand as of). Every draw comes from one generator seeded with
``(seed, 14)`` (issue 14 brought cases), so the sources, zones and
inspections of :func:`geo.demo.build.build_demo` stay what they were and the
same seed gives the same cases on every run.

What a month looks like here:

- 露天烧烤 is the most frequent event, at night (19:00-02:00), mostly at the
  347 spots shut down earlier in the year (复燃) and at night markets;
  油烟直排 at catering premises at meal times; 渣土撒漏 on the muck routes at
  night (22:00-05:00); 工地扬尘 at operating sites by day; a few 其他.
- Channels as they arrive: patrols, the 12319 hotline, inspections, video
  cameras and the public (随手拍).
- Most cases go the whole loop and close on time; some close late; about
  5 % fail verification once (rework); a few are rejected with a reason;
  six are still open at :data:`MONTH_END`, some of them overdue.

Every case is run through :func:`geo.cases.machine.apply_action` with
explicit times, so each stored state is one the machine reaches. Units are
the subdistricts' 城管执法中队 (labelled 演示); people are invented staff.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo import writes
from geo.cases.machine import CaseState, apply_action, new_case
from geo.cases.types import DEFAULT_TYPES
from geo.demo.sources import DEMO_NOTE
from geo.demo.zones import DECIMALS
from geo.ledger import BUREAU_TZ, get_layer
from geo.store.base import Store

__all__ = [
    "CASE_COUNT",
    "MONTH_END",
    "MONTH_START",
    "OPEN_PLANS",
    "DemoCase",
    "build_cases",
    "case_frames",
    "load_cases",
]

CASE_COUNT = 120
MONTH_START = dt.datetime(2026, 11, 1, tzinfo=BUREAU_TZ)
MONTH_END = dt.datetime(2026, 12, 1, tzinfo=BUREAU_TZ)
#: The stream of the demo seed that draws cases (the build's own stream stays untouched).
CASES_STREAM = 14
LIMITS_H = {t.code: t.limit_h for t in DEFAULT_TYPES}

#: How often each event type arrives in the month.
TYPE_WEIGHTS = {"open_air_bbq": 0.40, "fume_direct": 0.25, "muck_spill": 0.14,
                "site_dust": 0.14, "other": 0.07}
#: When each type is reported, Beijing time: (first hour, window length in hours).
TYPE_HOURS = {"open_air_bbq": (19, 7), "muck_spill": (22, 7), "site_dust": (8, 10),
              "other": (8, 12)}
FUME_WINDOWS = ((11.0, 2.5), (17.0, 3.5))  # lunch and supper
#: Channel shares per type (patrol, hotline 12319, inspection, camera, public).
CHANNELS = {
    "open_air_bbq": {"patrol": 0.50, "hotline": 0.22, "camera": 0.13, "public": 0.15},
    "fume_direct": {"hotline": 0.40, "inspection": 0.30, "patrol": 0.20, "public": 0.10},
    "muck_spill": {"camera": 0.45, "patrol": 0.40, "hotline": 0.15},
    "site_dust": {"inspection": 0.40, "patrol": 0.30, "camera": 0.20, "hotline": 0.10},
    "other": {"hotline": 0.40, "public": 0.35, "patrol": 0.25},
}
#: Outcomes of the cases that are not among the open ones.
OUTCOMES = {"rejected": 7, "late": 12, "rework": 6}

#: The cases still open at MONTH_END: (type, reported at Beijing time, outcome, steps taken).
OPEN_PLANS: tuple[tuple[str, dt.datetime, str, int], ...] = (
    ("open_air_bbq", dt.datetime(2026, 11, 30, 23, 20, tzinfo=BUREAU_TZ), "on_time", 0),
    ("open_air_bbq", dt.datetime(2026, 11, 30, 22, 35, tzinfo=BUREAU_TZ), "on_time", 1),
    ("fume_direct", dt.datetime(2026, 11, 30, 12, 5, tzinfo=BUREAU_TZ), "on_time", 2),
    ("fume_direct", dt.datetime(2026, 11, 28, 18, 40, tzinfo=BUREAU_TZ), "late", 2),
    ("site_dust", dt.datetime(2026, 11, 29, 9, 30, tzinfo=BUREAU_TZ), "rework", 4),
    ("muck_spill", dt.datetime(2026, 11, 30, 2, 10, tzinfo=BUREAU_TZ), "late", 3),
)

DISPATCHERS = ("刘洋", "陈静", "马骏")  # 区城市管理指挥中心 (dispatch centre)
HOTLINE = ("赵敏", "孙悦")
CAMERA = ("周航", "吴迪")
GIVEN_NAMES = ("建国", "立新", "海涛", "文博", "志强", "丽娜", "晓燕", "国庆", "红梅",
               "少华", "永刚", "春雷", "雪松", "晨曦", "卫东", "亚楠")
SURNAMES = tuple("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁宋谢韩冯于董")
MUCK_UNIT = "中原区渣土管理中队（演示）"

DESCRIPTIONS = {
    "open_air_bbq": ("原址露天烧烤摊复燃，烟气扰民", "附近有人占道露天烧烤，烟味较大",
                     "门前夜间露天烧烤，油烟直排"),
    "fume_direct": ("油烟净化器未开启，油烟直排", "排烟管道破损，油烟直排扰民",
                    "后厨油烟直排至背街小巷"),
    "muck_spill": ("沿线渣土车撒漏，路面污染约{n}米", "沿线渣土车未密闭运输，沿途撒漏约{n}米"),
    "site_dust": ("裸土未覆盖，扬尘明显", "出入车辆未冲洗，带泥上路", "土方作业未开启雾炮喷淋"),
    "other": ("附近有人焚烧落叶垃圾，烟雾较大", "附近露天焚烧杂物"),
}
HANDLED = {
    "open_air_bbq": "已责令停止露天烧烤，收缴烤炉并清理现场",
    "fume_direct": "已责令立即开启油烟净化设备并限期清洗排烟管道",
    "muck_spill": "已组织清扫冲洗路面，对运输车辆所属公司立案调查",
    "site_dust": "已督促覆盖裸土、开启喷淋并冲洗出入车辆",
    "other": "已熄灭火源并清理现场，对当事人进行教育",
}
REWORKED = {
    "open_air_bbq": "复查发现烧烤摊再次出摊，退回重新处置",
    "fume_direct": "复查发现净化设备仍未开启，退回重新处置",
    "muck_spill": "复查发现路面仍有渣土残留，退回重新处置",
    "site_dust": "复查发现裸土仍未完全覆盖，退回重新处置",
    "other": "复查发现仍有焚烧痕迹，退回重新处置",
}
MARKET_BBQ = ("内有摊位露天烧烤，未使用油烟净化装置",)
REJECTED = ("经现场核实，未发现所报问题", "重复上报，已并入同一地点在办案件",
            "不属于城市管理职责，已告知转生态环境部门处理")

Row = dict[str, Any]
#: One step of a case's script: action, minutes after the previous step, extra arguments.
Move = tuple[str, float, dict[str, Any]]


@dataclass(frozen=True)
class DemoCase:
    """One demonstration case: its fixed fields, place, and its state after every step."""

    fid: str
    fields: Row
    point: Point
    states: tuple[CaseState, ...]


@dataclass(frozen=True)
class _Staff:
    """Invented staff of each subdistrict: patrol officers and the 中队's officers."""

    patrol: dict[str, tuple[str, ...]]
    officers: dict[str, tuple[str, ...]]


def build_cases(ledger: dict[str, pd.DataFrame], *, seed: int) -> list[DemoCase]:
    """Build the month of demonstration cases over the sources and grids of ``ledger``.

    Parameters
    ----------
    ledger : dict of str to DataFrame
        The frames of :func:`geo.demo.build.build_demo` (``sources`` and ``grids`` are used).
    seed : int
        The demo seed; the cases draw from the stream ``(seed, 14)``.

    Returns
    -------
    list of DemoCase
        :data:`CASE_COUNT` cases ordered by report time, ids ``C-202611-001`` ...

    Examples
    --------
    >>> from geo.demo import DEMO_SEED, build_demo
    >>> cases = build_cases(build_demo(), seed=DEMO_SEED)
    >>> len(cases), cases[0].fid
    (120, 'C-202611-001')
    """
    rng = np.random.default_rng([seed, CASES_STREAM])
    grids = ledger["grids"].sort_values("id").reset_index(drop=True)
    staff = _staff(sorted(set(grids.subdistrict)), rng)
    anchors = _anchors(ledger["sources"])
    boundary = shapely.union_all(grids.geometry.to_numpy())
    drafts = _open_drafts(rng) + _regular_drafts(CASE_COUNT - len(OPEN_PLANS), rng)
    built = [_case(d, anchors, grids, boundary, staff, rng) for d in drafts]
    built.sort(key=lambda c: (c.states[0].timeline[0].at, str(c.fields["event_type"])))
    return [DemoCase(f"C-202611-{n:03d}", c.fields, c.point, c.states)
            for n, c in enumerate(built, start=1)]


# -- what happens when -------------------------------------------------------------------


@dataclass(frozen=True)
class _Draft:
    """A case before it has a place: its type, report time, outcome, steps taken."""

    event_type: str
    reported_at: dt.datetime
    outcome: str
    steps: int | None  # None: the whole script


def _open_drafts(rng: np.random.Generator) -> list[_Draft]:
    jitter = rng.integers(0, 15, size=len(OPEN_PLANS))
    return [_Draft(kind, at + dt.timedelta(minutes=int(j)), outcome, steps)
            for (kind, at, outcome, steps), j in zip(OPEN_PLANS, jitter, strict=True)]


def _regular_drafts(count: int, rng: np.random.Generator) -> list[_Draft]:
    outcomes = [o for o, n in OUTCOMES.items() for _ in range(n)]
    outcomes += ["on_time"] * (count - len(outcomes))
    order = rng.permutation(count)
    kinds = list(TYPE_WEIGHTS)
    picks = rng.choice(len(kinds), size=count, p=list(TYPE_WEIGHTS.values()))
    return [_Draft(kinds[int(k)], _report_time(kinds[int(k)], rng), outcomes[int(o)], None)
            for k, o in zip(picks, order, strict=True)]


def _report_time(kind: str, rng: np.random.Generator) -> dt.datetime:
    """Return a report time of the month in the type's hours (nights run past midnight)."""
    days = (MONTH_END - MONTH_START).days
    day = int(rng.integers(0, days - 1))  # the last day is left to the open cases
    if kind == "fume_direct":
        first, span = FUME_WINDOWS[int(rng.integers(len(FUME_WINDOWS)))]
        hours = first + rng.uniform(0.0, span)
    elif kind == "open_air_bbq":  # the evening is busier than the small hours
        first, span = TYPE_HOURS[kind]
        hours = first + rng.triangular(0.0, 2.0, span)
    else:
        first, span = TYPE_HOURS[kind]
        hours = first + rng.uniform(0.0, span)
    return MONTH_START + dt.timedelta(days=day, minutes=round(hours * 60.0))


def _script(outcome: str, limit_h: float, rng: np.random.Generator) -> list[Move]:
    """Return the steps after the report, minutes apart, for an outcome."""
    limit_m = limit_h * 60.0
    first: list[Move] = [("file", rng.uniform(5, 30), {}), ("dispatch", rng.uniform(3, 20), {})]
    if outcome == "rejected":
        return [("reject", rng.uniform(10, 60), {"notes": REJECTED[int(rng.integers(3))]})]
    if outcome == "rework":
        shares = rng.uniform([0.2, 0.05, 0.1, 0.05], [0.35, 0.1, 0.25, 0.1]) * limit_m
        return [*first, ("handle", shares[0], {}), ("verify", shares[1], {"passed": False}),
                ("handle", shares[2], {}), ("verify", shares[3], {"passed": True}),
                ("close", rng.uniform(5, 30), {})]
    # from dispatch to close: well inside the limit, or past it
    budget = limit_m * (rng.uniform(0.35, 0.9) if outcome == "on_time" else rng.uniform(1.1, 2.0))
    handle = budget * rng.uniform(0.55, 0.75)
    verify = (budget - handle) * rng.uniform(0.4, 0.7)
    return [*first, ("handle", handle, {}), ("verify", verify, {"passed": True}),
            ("close", budget - handle - verify, {})]


# -- where, and who ----------------------------------------------------------------------


def _anchors(sources: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Return the sources each event type happens at (bbq: spots and night markets)."""
    operating = sources[sources.status == "operating"]
    by = {c: sources[sources.category == c] for c in ("bbq", "catering", "muck_route")}
    return {
        "bbq_spot": by["bbq"], "night_market": sources[sources.category == "night_market"],
        "fume_direct": by["catering"], "other": by["catering"],
        "muck_spill": by["muck_route"],
        "site_dust": operating[operating.category == "construction_site"],
    }


def _staff(subdistricts: Sequence[str], rng: np.random.Generator) -> _Staff:
    def names(n: int) -> tuple[str, ...]:
        return tuple(SURNAMES[int(rng.integers(len(SURNAMES)))]
                     + GIVEN_NAMES[int(rng.integers(len(GIVEN_NAMES)))] for _ in range(n))

    return _Staff({s: names(2) for s in subdistricts}, {s: names(2) for s in subdistricts})


def _near(geometry: BaseGeometry, boundary: BaseGeometry, rng: np.random.Generator) -> Point:
    """Return a point at the source: 5-40 m from a spot, inside a site, on a route."""
    if geometry.geom_type == "LineString":
        point = geometry.interpolate(rng.uniform(0.1, 0.9), normalized=True)
    elif geometry.geom_type == "Point":
        distance_m, bearing = rng.uniform(5.0, 40.0), rng.uniform(0.0, 2.0 * math.pi)
        metres_per_deg = 111_320.0
        point = Point(geometry.x + distance_m * math.sin(bearing)
                      / (metres_per_deg * math.cos(math.radians(geometry.y))),
                      geometry.y + distance_m * math.cos(bearing) / metres_per_deg)
    else:
        point = _inside(geometry, rng)
    point = Point(round(point.x, DECIMALS), round(point.y, DECIMALS))
    if boundary.covers(point):
        return point
    return Point(*shapely.point_on_surface(geometry).coords[0])


def _inside(polygon: BaseGeometry, rng: np.random.Generator) -> Point:
    west, south, east, north = polygon.bounds
    for _ in range(50):
        point = Point(rng.uniform(west, east), rng.uniform(south, north))
        if polygon.contains(point):
            return point
    return shapely.point_on_surface(polygon)


def _place(grids: gpd.GeoDataFrame, point: Point) -> Row:
    """Return the place of the grid cell covering the point, as ``place_of`` finds it."""
    hits = grids[shapely.covers(grids.geometry.to_numpy(), point)]
    if not len(hits):
        return {"grid": None, "community": None, "subdistrict": None}
    row = hits.iloc[0]  # grids are sorted by id, as place_of picks
    return {"grid": row["name"], "community": row["community"], "subdistrict": row["subdistrict"]}


def _channel(kind: str, rng: np.random.Generator) -> str:
    shares = CHANNELS[kind]
    return list(shares)[int(rng.choice(len(shares), p=list(shares.values())))]


def _one(names: Sequence[str], rng: np.random.Generator) -> str:
    return names[int(rng.integers(len(names)))]


def _reporter(channel: str, patrol: tuple[str, ...], rng: np.random.Generator) -> str:
    if channel == "hotline":
        return f"12319热线 {_one(HOTLINE, rng)}"
    if channel == "camera":
        return f"视频巡查 {_one(CAMERA, rng)}"
    if channel == "public":
        return "市民（随手拍）"
    return _one(patrol, rng)


# -- one case -----------------------------------------------------------------------------


def _case(draft: _Draft, anchors: dict[str, pd.DataFrame], grids: gpd.GeoDataFrame,
          boundary: BaseGeometry, staff: _Staff, rng: np.random.Generator) -> DemoCase:
    kind = draft.event_type
    pool = kind
    if kind == "open_air_bbq":
        pool = "night_market" if rng.random() < 0.15 else "bbq_spot"
    source = anchors[pool].iloc[int(rng.integers(len(anchors[pool])))]
    point = _near(source.geometry, boundary, rng)
    place = _place(grids, point)
    subdistrict = place["subdistrict"] or source["subdistrict"]
    channel = _channel(kind, rng)
    texts = MARKET_BBQ if pool == "night_market" else DESCRIPTIONS[kind]
    text = texts[int(rng.integers(len(texts)))]
    fields = {
        "event_type": kind, "channel": channel,
        "description": f"{DEMO_NOTE}：{source['name']}{text.format(n=int(rng.integers(20, 300)))}",
        "source_id": None if kind == "other" else source["id"], "address": source["address"],
        **place, "demo": True, "orig_crs": "wgs84",
        "orig_wkt": shapely.to_wkt(point, rounding_precision=DECIMALS),
    }
    reporter = _reporter(channel, staff.patrol[subdistrict], rng)
    unit = MUCK_UNIT if kind == "muck_spill" else f"{subdistrict}城管执法中队（演示）"
    moves = _script(draft.outcome, LIMITS_H[kind], rng)[:draft.steps]
    verifier = reporter if channel == "patrol" else _one(staff.patrol[subdistrict], rng)
    start = _in_month(draft.reported_at, moves).astimezone(dt.UTC)
    states = _run(new_case(actor=reporter, at=start), moves, kind=kind, unit=unit,
                  verifier=verifier,
                  officer=_one(staff.officers[subdistrict], rng), rng=rng)
    return DemoCase("", fields, point, states)


def _run(state: CaseState, moves: list[Move], *, kind: str, unit: str, verifier: str,
         officer: str, rng: np.random.Generator) -> tuple[CaseState, ...]:
    """Take each move through the machine; every state after the report is kept."""
    states = [state]
    at = state.timeline[0].at
    for action, minutes, extra in moves:
        at = at + dt.timedelta(seconds=round(minutes * 60.0))
        kwargs: dict[str, Any] = dict(extra)
        if action in ("file", "reject", "dispatch", "close"):
            actor, role = _one(DISPATCHERS, rng), "dispatcher"
        else:
            actor, role = (officer, "editor") if action == "handle" else (verifier, "editor")
        if action == "handle":
            kwargs["notes"] = HANDLED[kind]
        if action == "verify":
            kwargs["notes"] = "复查已整改到位" if extra["passed"] else REWORKED[kind]
        state = apply_action(state, action, actor=actor, role=role, at=at, unit=unit,
                             limit_h=LIMITS_H[kind], **kwargs)
        states.append(state)
    return tuple(states)


def _in_month(reported_at: dt.datetime, moves: list[Move]) -> dt.datetime:
    """Return the report time, moved back by whole days if the loop would outrun the month."""
    last = reported_at + dt.timedelta(seconds=sum(round(m * 60.0) for _, m, _ in moves))
    if last < MONTH_END:
        return reported_at
    return reported_at - dt.timedelta(days=math.ceil((last - MONTH_END) / dt.timedelta(days=1))
                                      + 1)


# -- into a store ---------------------------------------------------------------------------


def stored_fields(state: CaseState) -> Row:
    """Return the case fields a state stands for, as :mod:`geo.cases.records` writes them."""
    first, last = state.timeline[0], state.timeline[-1]
    dispatches = [s.at for s in state.timeline if s.action == "dispatch"]
    return {
        "status": state.status, "unit": state.unit, "deadline": state.deadline,
        "rework": state.rework, "reported_by": first.actor, "reported_at": first.at,
        "dispatched_at": dispatches[-1] if dispatches else None,
        "closed_at": last.at if state.status == "closed" else None,
        "last_action": last.action, "last_actor": last.actor, "last_at": last.at,
        "last_notes": last.notes, "last_passed": last.passed, "last_photos": last.photos,
    }


def case_frames(cases: Sequence[DemoCase]) -> list[gpd.GeoDataFrame]:
    """Frames of the ``cases`` layer, one per step: frame k holds the cases at their k-th state.

    Written in turn (the first replacing the layer, the others upserted), each
    case's history is its timeline, as if its officers had taken every step.
    """
    layer = get_layer("cases")
    depth = max(len(c.states) for c in cases)
    frames = []
    for k in range(depth):
        rows = [{"id": c.fid, **c.fields, **stored_fields(c.states[k])}
                for c in cases if len(c.states) > k]
        data = {name: pd.Series([r.get(name) for r in rows], dtype=object)
                for name in layer.field_names}
        points = [c.point for c in cases if len(c.states) > k]
        frames.append(gpd.GeoDataFrame(pd.DataFrame(data, columns=list(layer.field_names)),
                                       geometry=points, crs="EPSG:4326"))
    return frames


def load_cases(store: Store, ledger: dict[str, pd.DataFrame], *, seed: int, actor: str) -> int:
    """Replace the ``cases`` layer of ``store`` with the demo month; return how many.

    One bulk write per step (at most eight) rather than one per action: the
    history holds every step of every case, and loading stays fast. A table
    of event types the store keeps is emptied, so the default types (whose
    limits set the demo's deadlines) serve.
    """
    frames = case_frames(build_cases(ledger, seed=seed))
    inserted = writes.write_frame(store, "cases", frames[0], mode="replace", actor=actor).inserted
    for frame in frames[1:]:
        writes.write_frame(store, "cases", frame, mode="upsert", actor=actor)
    if store.count("case_types"):  # the demo's deadlines are the default limits'
        empty = pd.DataFrame({name: [] for name in get_layer("case_types").field_names})
        writes.write_frame(store, "case_types", empty, mode="replace", actor=actor)
    return inserted
