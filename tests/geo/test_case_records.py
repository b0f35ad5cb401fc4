"""Cases in a store (geo.cases.records), on both stores: the loop, refusals, races, timeline."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from shapely.geometry import Point, box

from geo import writes
from geo.cases import (
    NotAllowedError,
    TransitionError,
    act_on_case,
    case_state,
    report_case,
    timeline,
    type_table,
)
from geo.errors import InputError, VersionMismatchError
from geo.ledger import Feature
from geo.store import Store

T0 = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)
HERE = Point(113.6253, 34.7466)
#: a type whose limit is seconds, so a deadline passes inside a test
QUICK = type_table([{"code": "bbq", "name_zh": "露天烧烤", "limit_h": 0.001}])


def _grid(store: Store) -> None:
    writes.create(store, "grids", Feature("G-1", {"name": "网格一", "community": "建设路社区",
                                                 "subdistrict": "林山寨街道"},
                                          box(113.62, 34.74, 113.63, 34.75)), actor="t")


def _walk(store: Store, fid: str, *steps: tuple[str, dict]) -> Feature:
    feature = store.get("cases", fid)
    for k, (action, kwargs) in enumerate(steps, start=1):
        feature = act_on_case(store, fid, action, actor="中心", role="admin", types=QUICK,
                              at=T0 + dt.timedelta(seconds=k), **kwargs)
    return feature


def test_a_case_goes_round_the_loop_and_its_history_is_the_timeline(store: Store) -> None:
    _grid(store)
    case = report_case(store, event_type="bbq", point=HERE, actor="巡查员", at=T0, types=QUICK,
                       channel="patrol", description="<b>路边烧烤</b> {{ 1+1 }}")
    p = case.properties
    assert (p["status"], p["grid"], p["community"], p["subdistrict"]) == (
        "reported", "网格一", "建设路社区", "林山寨街道")
    assert p["description"] == "<b>路边烧烤</b> {{ 1+1 }}" and case.id.startswith("C")
    done = _walk(store, case.id, ("file", {}), ("dispatch", {"unit": "林山寨街道中队"}),
                 ("handle", {"notes": "已取缔"}), ("verify", {"passed": False, "notes": "复燃"}),
                 ("handle", {}), ("verify", {"passed": True}), ("close", {}))
    q = done.properties
    assert (q["status"], q["rework"], q["unit"]) == ("closed", 1, "林山寨街道中队")
    assert q["deadline"] == "2026-11-03T12:00:05.600Z"  # dispatched at +2 s, limit 3.6 s
    assert case_state(done).closed_on_time is False  # closed at +7 s
    steps = timeline(store, case.id)
    assert [s.action for s in steps] == ["report", "file", "dispatch", "handle", "verify",
                                         "handle", "verify", "close"]
    assert [s.status for s in steps][4] == "dispatched" and steps[4].passed is False
    assert steps[2].unit == "林山寨街道中队" and steps[3].notes == "已取缔"


def test_a_refused_action_changes_nothing(store: Store) -> None:
    case = report_case(store, event_type="bbq", point=HERE, actor="巡查员", at=T0, types=QUICK)
    before = (store.get("cases", case.id).properties, len(store.history("cases", case.id)))
    for action, role, error in (("close", "admin", TransitionError),
                                ("file", "editor", NotAllowedError),
                                ("reject", "admin", InputError)):  # no reason given
        with pytest.raises(error):
            act_on_case(store, case.id, action, actor="x", role=role, types=QUICK, at=T0)
    assert (store.get("cases", case.id).properties, len(store.history("cases", case.id))) == before
    with pytest.raises(InputError, match="event_type must be one of"):
        report_case(store, event_type="noise", point=HERE, actor="x", types=QUICK)


def test_a_stale_version_is_refused(store: Store) -> None:
    case = report_case(store, event_type="bbq", point=HERE, actor="巡查员", at=T0, types=QUICK)
    act_on_case(store, case.id, "file", actor="中心", role="admin", types=QUICK, at=T0)
    with pytest.raises(VersionMismatchError):
        act_on_case(store, case.id, "dispatch", actor="中心", role="admin", types=QUICK,
                    at=T0, unit="u", expected_version=case.properties["version"])


def test_of_twenty_concurrent_handles_one_wins(store: Store) -> None:
    case = report_case(store, event_type="bbq", point=HERE, actor="巡查员", at=T0, types=QUICK)
    _walk(store, case.id, ("file", {}), ("dispatch", {"unit": "u"}))
    start, wins, losses = threading.Barrier(20), [], []

    def handle(k: int) -> None:
        start.wait()
        try:
            act_on_case(store, case.id, "handle", actor=f"队员{k}", role="editor", types=QUICK,
                        at=T0 + dt.timedelta(minutes=1))
            wins.append(k)
        except (VersionMismatchError, TransitionError):
            losses.append(k)

    threads = [threading.Thread(target=handle, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(losses) == 19
    assert [s.action for s in timeline(store, case.id)].count("handle") == 1


def test_overdue_comes_with_the_deadline(store: Store) -> None:
    case = report_case(store, event_type="bbq", point=HERE, actor="巡查员", types=QUICK)
    now = dt.datetime.now(dt.UTC)
    act_on_case(store, case.id, "file", actor="中心", role="dispatcher", types=QUICK, at=now)
    sent = act_on_case(store, case.id, "dispatch", actor="中心", role="dispatcher", types=QUICK,
                       at=now, unit="u")
    state = case_state(sent)
    assert not state.is_overdue(now + dt.timedelta(seconds=3))
    assert state.is_overdue(now + dt.timedelta(seconds=4))


def test_each_step_keeps_its_own_photos(store: Store) -> None:
    from geo.photos import clean_photo
    from tests._support.images import jpeg, png

    _grid(store)
    case = report_case(store, event_type="bbq", point=HERE, actor="巡查员", at=T0, types=QUICK,
                       photos=[clean_photo(jpeg())])
    _walk(store, case.id, ("file", {}), ("dispatch", {"unit": "中队"}),
          ("handle", {"photos": [clean_photo(png()), clean_photo(jpeg())]}))
    keys = [step.photos for step in timeline(store, case.id)]
    assert keys == [f"{case.id}.v1", None, None, f"{case.id}.v4"]
    stored = store.photos.of_inspections([k for k in keys if k])
    assert [len(stored[k]) for k in keys if k] == [1, 2]
    assert [p.media_type for p in stored[f"{case.id}.v4"]] == ["image/png", "image/jpeg"]


def test_a_step_that_loses_the_race_stores_no_photo(store: Store) -> None:
    from geo.photos import clean_photo
    from tests._support.images import jpeg

    _grid(store)
    case = report_case(store, event_type="bbq", point=HERE, actor="巡查员", at=T0, types=QUICK)
    _walk(store, case.id, ("file", {}))
    with pytest.raises(VersionMismatchError):
        act_on_case(store, case.id, "dispatch", actor="中心", role="admin", types=QUICK,
                    expected_version=1, unit="中队", at=T0 + dt.timedelta(seconds=5),
                    photos=[clean_photo(jpeg())])
    assert store.photos.of_inspections([f"{case.id}.v3"]).get(f"{case.id}.v3", []) == []


def test_the_stores_own_type_table_serves_and_keeps_types_in_use(store: Store) -> None:
    from geo.cases import save_types, stored_types

    assert stored_types(store)["open_air_bbq"].limit_h == 2.0  # none saved: the defaults
    _grid(store)
    mine = type_table([{"code": "bbq", "name_zh": "露天烧烤", "limit_h": "1.5"},
                       {"code": "dust", "name_zh": "扬尘", "name_en": "Dust", "limit_h": 8}])
    assert save_types(store, mine, actor="管理员") == 2
    assert stored_types(store) == mine
    case = report_case(store, event_type="bbq", point=HERE, actor="巡查员", at=T0)
    done = _walk_default(store, case.id)
    assert done.properties["deadline"] == "2026-11-03T13:30:02.000Z"  # dispatched +2 s, 1.5 h
    with pytest.raises(InputError, match="open_air_bbq"):  # the defaults no longer serve
        report_case(store, event_type="open_air_bbq", point=HERE, actor="巡查员", at=T0)
    with pytest.raises(InputError, match=r"bbq \(1\)"):
        save_types(store, type_table([{"code": "dust", "name_zh": "扬尘", "limit_h": 8}]),
                   actor="管理员")
    assert stored_types(store) == mine


def _walk_default(store: Store, fid: str) -> Feature:
    for k, (action, kwargs) in enumerate((("file", {}), ("dispatch", {"unit": "中队"})), 1):
        feature = act_on_case(store, fid, action, actor="中心", role="dispatcher",
                              at=T0 + dt.timedelta(seconds=k), **kwargs)
    return feature


#: The steps that bring a new case to each state, and what each action needs.
_TO_STATE = {
    "reported": (), "filed": ("file",), "dispatched": ("file", "dispatch"),
    "handled": ("file", "dispatch", "handle"),
    "verified": ("file", "dispatch", "handle", "verify"),
    "closed": ("file", "dispatch", "handle", "verify", "close"), "rejected": ("reject",),
}
_NEEDS = {"dispatch": {"unit": "中队"}, "verify": {"passed": True}, "reject": {"notes": "重复"}}


def test_every_state_and_action_on_the_store(store: Store) -> None:
    """Allowed actions move the stored case as the machine says; the rest change nothing."""
    from geo.cases import ACTIONS, STATES, allowed_actions, apply_action

    _grid(store)
    assert set(_TO_STATE) == set(STATES)
    for status, path in _TO_STATE.items():
        for action in ACTIONS:
            case = report_case(store, event_type="bbq", point=HERE, actor="巡查员", at=T0,
                               types=QUICK)
            _walk(store, case.id, *((step, _NEEDS.get(step, {})) for step in path))
            stored = store.get("cases", case.id)
            assert stored.properties["status"] == status
            before = (stored.properties, len(store.history("cases", case.id)))
            at = T0 + dt.timedelta(minutes=1)
            if action in allowed_actions(case_state(stored), "admin"):
                expected = apply_action(case_state(stored), action, actor="中心", role="admin",
                                        at=at, limit_h=0.001, **_NEEDS.get(action, {}))
                moved = act_on_case(store, case.id, action, actor="中心", role="admin",
                                    types=QUICK, at=at, **_NEEDS.get(action, {}))
                assert moved.properties["status"] == expected.status != status
                assert len(store.history("cases", case.id)) == before[1] + 1
                continue
            with pytest.raises(TransitionError):
                act_on_case(store, case.id, action, actor="中心", role="admin", types=QUICK,
                            at=at, **_NEEDS.get(action, {}))
            after = store.get("cases", case.id)
            assert (after.properties, len(store.history("cases", case.id))) == before
