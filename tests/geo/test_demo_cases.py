"""The demo's month of cases (geo.demo.cases): reproducible, realistic, reachable by the machine.

Built once per module; loaded into both stores, where every case's timeline
(read back from its history) is replayed through the real machine and must
land on the case as stored.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import subprocess
import sys

import pandas as pd
import pytest
import shapely

from geo import demo
from geo.cases import (
    DEFAULT_TYPES,
    apply_action,
    case_state,
    new_case,
    save_types,
    stored_types,
    timeline,
    type_table,
)
from geo.crs import geometry_from_lonlat
from geo.demo.cases import (
    CASE_COUNT,
    MONTH_END,
    MONTH_START,
    MUCK_UNIT,
    DemoCase,
    build_cases,
    case_frames,
    load_cases,
    stored_fields,
)
from geo.ledger import BUREAU_TZ, CASE_CHANNELS, validate_record
from geo.store import Store

LIMITS_H = {t.code: t.limit_h for t in DEFAULT_TYPES}
CENTRE_ACTIONS = {"file", "reject", "dispatch", "close"}


@pytest.fixture(scope="module")
def ledger() -> dict[str, pd.DataFrame]:
    return demo.build_demo()


@pytest.fixture(scope="module")
def cases(ledger: dict[str, pd.DataFrame]) -> list[DemoCase]:
    return build_cases(ledger, seed=demo.DEMO_SEED)


def _final(cases: list[DemoCase]) -> list:
    return [c.states[-1] for c in cases]


def _local_hour(moment: dt.datetime) -> float:
    local = moment.astimezone(BUREAU_TZ)
    return local.hour + local.minute / 60.0


# -- reproducible ---------------------------------------------------------------------------


def _same_frames(a: list[DemoCase], b: list[DemoCase]) -> None:
    fa, fb = case_frames(a), case_frames(b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb, strict=True):
        pd.testing.assert_frame_equal(x.drop(columns="geometry"), y.drop(columns="geometry"))
        assert list(shapely.to_wkb(x.geometry.values)) == list(shapely.to_wkb(y.geometry.values))


def test_two_builds_are_equal(ledger, cases):
    _same_frames(cases, build_cases(ledger, seed=demo.DEMO_SEED))


_DIGEST = """
import hashlib, shapely
from geo.demo import DEMO_SEED, build_demo
from geo.demo.cases import build_cases, case_frames
digest = hashlib.sha256()
for frame in case_frames(build_cases(build_demo(), seed=DEMO_SEED)):
    digest.update(frame.drop(columns="geometry").to_csv().encode())
    digest.update(b"".join(shapely.to_wkb(frame.geometry.values)))
print(digest.hexdigest())
"""


def test_builds_in_separate_processes_are_equal():
    runs = {subprocess.run([sys.executable, "-c", _DIGEST], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}, check=True,
                           cwd=demo.DATA_DIR.parent).stdout for seed in ("1", "2")}
    assert len(runs) == 1 and len(runs.pop().strip()) == 64


def test_another_seed_gives_other_cases(ledger, cases):
    other = build_cases(ledger, seed=7)
    assert len(other) == len(cases)
    assert [c.fields["description"] for c in other] != [c.fields["description"] for c in cases]


def test_the_rest_of_the_demo_is_untouched(ledger):
    """The cases draw from their own stream: the ledger's frames are what they were."""
    assert ledger["sources"].id.iloc[-1] == "S02396" and len(ledger["inspections"]) == 6435
    pd.testing.assert_frame_equal(ledger["sources"].drop(columns="geometry"),
                                  demo.build_demo()["sources"].drop(columns="geometry"))


# -- shape ------------------------------------------------------------------------------------


def test_ids_count_and_order(cases):
    assert len(cases) == CASE_COUNT == 120
    assert [c.fid for c in cases] == [f"C-202611-{n:03d}" for n in range(1, 121)]
    reported = [c.states[0].timeline[0].at for c in cases]
    assert reported == sorted(reported)


def test_every_row_of_every_step_passes_validation(cases):
    for frame in case_frames(cases):
        for row in frame.to_dict("records"):
            geometry = row.pop("geometry")
            row.pop("id")
            _, out, notes = validate_record("cases", row, geometry)
            assert notes == [] and out is geometry


def test_everything_happens_within_the_month(cases):
    for c in cases:
        steps = c.states[-1].timeline
        assert MONTH_START <= steps[0].at and steps[-1].at < MONTH_END, c.fid
        assert [s.at for s in steps] == sorted(s.at for s in steps)


def test_labelled_as_demonstration_data(cases):
    for c in cases:
        assert c.fields["demo"] is True and c.fields["description"].startswith("演示数据：")
        unit = c.states[-1].unit
        assert unit is None or unit.endswith("（演示）")


# -- realistic ----------------------------------------------------------------------------------


def test_the_mix_of_event_types_and_channels(cases):
    kinds = collections.Counter(c.fields["event_type"] for c in cases)
    assert kinds.most_common(1)[0][0] == "open_air_bbq"
    assert set(kinds) == {t.code for t in DEFAULT_TYPES}
    assert kinds["open_air_bbq"] > 0.3 * len(cases)
    channels = collections.Counter(c.fields["channel"] for c in cases)
    assert set(channels) == {"patrol", "hotline", "inspection", "camera", "public"}
    assert set(channels) <= set(CASE_CHANNELS)
    hotline = [c for c in cases if c.fields["channel"] == "hotline"]
    assert all(c.states[0].timeline[0].actor.startswith("12319热线") for c in hotline)


@pytest.mark.parametrize(
    ("kind", "hours"),
    [("open_air_bbq", lambda h: h >= 19 or h <= 2), ("muck_spill", lambda h: h >= 22 or h <= 5),
     ("site_dust", lambda h: 8 <= h <= 18),
     ("fume_direct", lambda h: 11 <= h <= 13.5 or 17 <= h <= 20.5)],
    ids=["bbq-at-night", "muck-at-night", "dust-by-day", "fumes-at-meals"],
)
def test_events_come_at_their_hours(cases, kind, hours):
    times = [c.states[0].timeline[0].at for c in cases if c.fields["event_type"] == kind]
    assert times and all(hours(_local_hour(t)) for t in times)


def test_cases_lie_at_sources_of_the_matching_category(ledger, cases):
    sources = ledger["sources"].set_index("id")
    wanted = {"open_air_bbq": {"bbq", "night_market"}, "fume_direct": {"catering"},
              "muck_spill": {"muck_route"}, "site_dust": {"construction_site"}}
    for c in cases:
        kind = c.fields["event_type"]
        if kind == "other":
            assert c.fields["source_id"] is None
            continue
        source = sources.loc[c.fields["source_id"]]
        assert source.category in wanted[kind], c.fid
        if kind == "site_dust":
            assert source.status == "operating"
        a, b = geometry_from_lonlat([c.point, source.geometry], crs="EPSG:4547")
        assert a.distance(b) <= 41.0, c.fid  # at the spot, inside the site, on the route


def test_all_inside_the_district_in_the_grid_cell_they_name(ledger, cases):
    boundary = demo.load_boundary()
    grids = ledger["grids"].set_index("name")
    for c in cases:
        assert boundary.covers(c.point), c.fid
        cell = grids.loc[c.fields["grid"]]
        assert cell.geometry.covers(c.point), c.fid
        assert (c.fields["subdistrict"], c.fields["community"]) == (cell.subdistrict,
                                                                     cell.community)
        unit = c.states[-1].unit
        if unit is not None and c.fields["event_type"] != "muck_spill":
            assert unit == f"{cell.subdistrict}城管执法中队（演示）"
        elif unit is not None:
            assert unit == MUCK_UNIT


def test_most_close_on_time_some_late_reworked_rejected_open(cases):
    final = _final(cases)
    by = collections.Counter(s.status for s in final)
    on_time = sum(s.closed_on_time is True for s in final)
    late = sum(s.closed_on_time is False for s in final)
    assert on_time > 0.7 * len(cases) and 5 <= late <= 0.2 * len(cases)
    reworked = [s for s in final if s.rework]
    assert 0.03 * len(cases) <= len(reworked) <= 0.08 * len(cases)
    assert all(s.rework == 1 for s in reworked)
    rejected = [s for s in final if s.status == "rejected"]
    assert 3 <= len(rejected) <= 10 and all(s.timeline[-1].notes for s in rejected)
    open_ = [s for s in final if s.is_open]
    assert len(open_) == 6 and by["closed"] + len(rejected) + 6 == len(cases)
    overdue = [s for s in open_ if s.is_overdue(MONTH_END)]
    assert 2 <= len(overdue) < len(open_)
    assert {s.status for s in open_} >= {"reported", "filed", "dispatched", "handled"}


def test_the_finder_verifies_a_patrol_case(cases):
    for c in cases:
        steps = c.states[-1].timeline
        if c.fields["channel"] == "patrol":
            assert all(s.actor == steps[0].actor for s in steps if s.action == "verify")


# -- in a store: reachable by the machine -------------------------------------------------------


def _replayed(kind: str, steps: list):
    """Run the stored timeline through the machine from a fresh report."""
    state = new_case(actor=steps[0].actor, at=steps[0].at)
    for step in steps[1:]:
        role = "dispatcher" if step.action in CENTRE_ACTIONS else "editor"
        state = apply_action(state, step.action, actor=step.actor, role=role, at=step.at,
                             unit=step.unit, limit_h=LIMITS_H[kind], passed=step.passed,
                             notes=step.notes)
        assert state.status == step.status
    return state


def _normal(fields: dict) -> dict:
    """Stored values as the store gives them: times as ISO UTC text."""
    out = {}
    for key, value in fields.items():
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
                f"{value.microsecond // 1000:03d}Z")
        out[key] = None if value is None or (isinstance(value, float) and value != value) \
            else value
    return out


def test_every_stored_case_is_its_replayed_timeline(store: Store, ledger, cases):
    assert load_cases(store, ledger, seed=demo.DEMO_SEED, actor="zonewatch demo") == 120
    stored = store.read("cases").set_index("id")
    assert len(stored) == 120
    for c in cases:
        steps = timeline(store, c.fid)
        assert [s.action for s in steps] == [s.action for s in c.states[-1].timeline], c.fid
        state = _replayed(c.fields["event_type"], steps)
        row = stored.loc[c.fid].to_dict()
        expected = _normal(stored_fields(state))
        assert {k: _normal(row)[k] for k in expected} == expected, c.fid
        history = store.history("cases", c.fid)
        assert [h.operation for h in history] == ["create"] + ["update"] * (len(steps) - 1)
        assert row["version"] == len(steps)


def test_the_machine_reads_the_stored_open_cases_as_built(store: Store, ledger, cases):
    load_cases(store, ledger, seed=demo.DEMO_SEED, actor="t")
    for c in cases:
        if c.states[-1].is_open:
            state = case_state(store.get("cases", c.fid))
            assert (state.status, state.deadline, state.rework) == (
                c.states[-1].status, c.states[-1].deadline, c.states[-1].rework)
            assert state.is_overdue(MONTH_END) == c.states[-1].is_overdue(MONTH_END)


def test_load_demo_counts_the_cases_and_resets_the_type_table(store: Store):
    save_types(store, type_table([{"code": "noise", "name_zh": "噪声", "limit_h": 3}]),
               actor="t")
    counts = demo.load_demo(store)
    assert counts["cases"] == store.count("cases") == 120
    assert list(counts)[-2:] == ["cases", "observations"]  # the readings come last
    assert stored_types(store) == {t.code: t for t in DEFAULT_TYPES}
    assert store.history("cases", "C-202611-001")[0].actor == "zonewatch demo"


def test_a_reloaded_case_has_one_timeline(store: Store, ledger, cases):
    load_cases(store, ledger, seed=demo.DEMO_SEED, actor="first")
    load_cases(store, ledger, seed=demo.DEMO_SEED, actor="second")
    assert len(timeline(store, cases[0].fid)) == len(cases[0].states[-1].timeline)
