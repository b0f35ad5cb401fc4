"""The case loop (geo.cases): every state × every action × every role, deadlines, rework."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from geo.cases import (
    ACTIONS,
    DEFAULT_TYPES,
    STATES,
    CaseState,
    NotAllowedError,
    TransitionError,
    allowed_actions,
    apply_action,
    new_case,
    type_table,
)
from geo.errors import ConflictError, InputError

T0 = dt.datetime(2026, 11, 3, 20, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
ROLES = ("viewer", "editor", "dispatcher", "admin")
#: The one legal move per (state, action); verify's failure branch is tested apart.
LEGAL = {("reported", "file"): "filed", ("reported", "reject"): "rejected",
         ("filed", "dispatch"): "dispatched", ("dispatched", "handle"): "handled",
         ("handled", "verify"): "verified", ("verified", "close"): "closed"}
MAY = {"file": {"dispatcher", "admin"}, "reject": {"dispatcher", "admin"},
       "dispatch": {"dispatcher", "admin"}, "close": {"dispatcher", "admin"},
       "handle": {"editor", "dispatcher", "admin"}, "verify": {"editor", "dispatcher", "admin"}}
ARGS = {"dispatch": {"unit": "林山寨街道", "limit_h": 2.0}, "verify": {"passed": True},
        "reject": {"notes": "不属于本部门职责"}}


def case_in(status: str) -> CaseState:
    """A case walked to ``status`` through the legal path, an hour a step."""
    path = {"reported": [], "filed": ["file"], "dispatched": ["file", "dispatch"],
            "handled": ["file", "dispatch", "handle"],
            "verified": ["file", "dispatch", "handle", "verify"],
            "closed": ["file", "dispatch", "handle", "verify", "close"],
            "rejected": ["reject"]}[status]
    case = new_case(actor="巡查员", at=T0)
    for k, action in enumerate(path, start=1):
        case = apply_action(case, action, actor="中心", role="admin",
                            at=T0 + dt.timedelta(minutes=10 * k), **ARGS.get(action, {}))
    assert case.status == status
    return case


@pytest.mark.parametrize(("status", "action", "role"),
                         list(itertools.product(STATES, ACTIONS, ROLES)))
def test_every_state_action_and_role(status: str, action: str, role: str) -> None:
    case = case_in(status)
    at = case.timeline[-1].at + dt.timedelta(minutes=5)
    legal, permitted = (status, action) in LEGAL, role in MAY[action]
    if legal and permitted:
        moved = apply_action(case, action, actor="某人", role=role, at=at, **ARGS.get(action, {}))
        assert moved.status == LEGAL[(status, action)]
        assert len(moved.timeline) == len(case.timeline) + 1
        assert moved.timeline[-1].action == action and moved.timeline[-1].at == at
        assert action in allowed_actions(case, role)
    else:
        error = TransitionError if not legal else NotAllowedError
        with pytest.raises(error):
            apply_action(case, action, actor="某人", role=role, at=at, **ARGS.get(action, {}))
        assert action not in allowed_actions(case, role)
    assert case == case_in(status)  # the state given is never changed


def test_refusals_say_why() -> None:
    with pytest.raises(TransitionError, match="cannot close a case that is reported"):
        apply_action(case_in("reported"), "close", actor="a", role="admin", at=T0)
    with pytest.raises(NotAllowedError, match="role 'editor' may not dispatch"):
        apply_action(case_in("filed"), "dispatch", actor="a", role="editor", at=T0,
                     unit="u", limit_h=1)
    assert issubclass(TransitionError, ConflictError)  # 409 when the API answers it
    with pytest.raises(InputError, match="action must be one of"):
        apply_action(case_in("reported"), "archive", actor="a", role="admin", at=T0)


@pytest.mark.parametrize(("action", "kwargs", "words"), [
    ("reject", {}, "reason"), ("reject", {"notes": "  "}, "reason"),
    ("dispatch", {"limit_h": 2}, "unit"), ("dispatch", {"unit": "u"}, "limit_h"),
    ("dispatch", {"unit": "u", "limit_h": 0}, "limit_h"),
    ("dispatch", {"unit": "u", "limit_h": float("inf")}, "limit_h"),
    ("verify", {}, "passed"), ("verify", {"passed": "yes"}, "passed"),
])
def test_missing_or_bad_parameters_are_refused(action: str, kwargs: dict, words: str) -> None:
    start = {"reject": "reported", "dispatch": "filed", "verify": "handled"}[action]
    case = case_in(start)
    with pytest.raises(InputError, match=words):
        apply_action(case, action, actor="a", role="admin", at=T0 + dt.timedelta(hours=2),
                     **kwargs)


def test_times_must_be_aware_and_in_order() -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        new_case(actor="a", at=dt.datetime(2026, 11, 3, 20, 30))
    with pytest.raises(InputError, match="before the case's last step"):
        apply_action(case_in("filed"), "dispatch", actor="a", role="admin",
                     at=T0 - dt.timedelta(seconds=1), unit="u", limit_h=1)


def test_deadline_is_dispatch_plus_limit_and_overdue_follows_it() -> None:
    case = apply_action(case_in("filed"), "dispatch", actor="中心", role="dispatcher",
                        at=T0 + dt.timedelta(hours=1), unit="  林山寨街道 ", limit_h=0.001)
    assert case.unit == "林山寨街道"
    assert case.deadline == T0 + dt.timedelta(hours=1, seconds=3.6)
    assert not case.is_overdue(case.deadline)
    assert case.is_overdue(case.deadline + dt.timedelta(microseconds=1))
    handled = apply_action(case, "handle", actor="队员", role="editor",
                           at=case.deadline + dt.timedelta(seconds=1))
    assert handled.is_overdue(handled.deadline + dt.timedelta(days=1))  # open until closed


def test_failed_verification_is_rework_with_the_same_deadline() -> None:
    case = case_in("handled")
    deadline = case.deadline
    again = apply_action(case, "verify", actor="巡查员", role="editor",
                         at=T0 + dt.timedelta(hours=1), passed=False, notes="仍在烧烤")
    assert (again.status, again.rework, again.deadline) == ("dispatched", 1, deadline)
    assert again.timeline[-1].passed is False and again.timeline[-1].notes == "仍在烧烤"
    assert allowed_actions(again, "editor") == ["handle"]


def test_closed_on_time_and_late() -> None:
    on_time = case_in("closed")  # 50 minutes after report, limit 2 h from dispatch
    assert on_time.closed_on_time is True and not on_time.is_open
    assert not on_time.is_overdue(T0 + dt.timedelta(days=9))
    late = case_in("verified")
    late = apply_action(late, "close", actor="中心", role="admin",
                        at=late.deadline + dt.timedelta(minutes=1))
    assert late.closed_on_time is False
    assert case_in("handled").closed_on_time is None
    assert case_in("rejected").is_open is False


def test_default_types_hold_the_bureau_limits() -> None:
    limits = {t.name_zh: t.limit_h for t in DEFAULT_TYPES}
    assert (limits["露天烧烤"], limits["油烟直排"], limits["渣土撒漏"], limits["工地扬尘"]) == (
        2.0, 24.0, 4.0, 8.0)
    assert type_table([vars(t) for t in DEFAULT_TYPES]).keys() == {t.code for t in DEFAULT_TYPES}


@pytest.mark.parametrize(("rows", "words"), [
    ([], "empty"),
    ([{"code": "Bad Code", "name_zh": "x", "limit_h": 1}], "row 1: code"),
    ([{"code": "a", "name_zh": "", "limit_h": 1}], "row 1: name_zh"),
    ([{"code": "a", "name_zh": "x", "limit_h": "两小时"}], "row 1: limit_h must be a number"),
    ([{"code": "a", "name_zh": "x", "limit_h": -1}], "row 1: limit_h must be more than 0"),
    ([{"code": "a", "name_zh": "x", "limit_h": 1}, {"code": "a", "name_zh": "y", "limit_h": 2}],
     "row 2: event type 'a' is given twice"),
])
def test_a_bad_type_table_names_the_row(rows: list, words: str) -> None:
    with pytest.raises(InputError, match=words):
        type_table(rows)
