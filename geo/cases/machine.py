"""The case loop as a state machine: which action moves a case where, and who may take it.

::

    reported --file--> filed --dispatch--> dispatched --handle--> handled
    handled --verify(passed)--> verified --close--> closed
    handled --verify(failed)--> dispatched        (rework: counted, same deadline)
    reported --reject--> rejected                 (不予立案, with the reason)

The deadline is set at dispatch: dispatch time plus the event type's limit.
A failed verification sends the case back to the unit without a new
deadline: rework does not buy time, so a reworked case closed late counts
as late. A case that is neither closed nor rejected is open; an open case
past its deadline is overdue.

Editors report, handle and verify (the finder re-checks); dispatchers and
admins also file, reject, dispatch and close. Every action returns a new
:class:`CaseState` with one more timeline entry; a refused one raises and
returns nothing, so the caller's state is never half-changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from geo.errors import ConflictError, InputError, NotPermittedError
from geo.ledger import CASE_STATUSES

__all__ = [
    "ACTIONS",
    "OPEN_STATES",
    "STATES",
    "CaseState",
    "NotAllowedError",
    "Step",
    "TransitionError",
    "allowed_actions",
    "apply_action",
    "new_case",
]

STATES = CASE_STATUSES
OPEN_STATES = frozenset(STATES) - {"closed", "rejected"}
ACTIONS = ("file", "reject", "dispatch", "handle", "verify", "close")

#: The state each action starts from (verify ends in two places: see apply_action).
_FROM = {"file": "reported", "reject": "reported", "dispatch": "filed",
         "handle": "dispatched", "verify": "handled", "close": "verified"}
_TO = {"file": "filed", "reject": "rejected", "dispatch": "dispatched",
       "handle": "handled", "verify": "verified", "close": "closed"}
_CENTRE = frozenset({"dispatcher", "admin"})
#: Who may take each action; a dispatcher can do what an editor can.
ACTION_ROLES = {
    "file": _CENTRE, "reject": _CENTRE, "dispatch": _CENTRE, "close": _CENTRE,
    "handle": _CENTRE | {"editor"}, "verify": _CENTRE | {"editor"},
}


class TransitionError(ConflictError):
    """The action cannot be taken from the case's present state."""


class NotAllowedError(NotPermittedError):
    """The caller's role may not take this action."""


@dataclass(frozen=True)
class Step:
    """One entry of a case's timeline: who moved it where, when, and why."""

    action: str  # "report" for the first entry
    status: str  # the state after the step
    actor: str
    at: dt.datetime
    notes: str | None = None
    unit: str | None = None
    passed: bool | None = None
    photos: str | None = None  # the key the step's photos are stored under, if any


@dataclass(frozen=True)
class CaseState:
    """Where a case stands: its status, unit, deadline, rework count and timeline."""

    status: str
    timeline: tuple[Step, ...]
    unit: str | None = None
    deadline: dt.datetime | None = None
    rework: int = 0

    @property
    def is_open(self) -> bool:
        """Whether the case is neither closed nor rejected."""
        return self.status in OPEN_STATES

    def is_overdue(self, now: dt.datetime) -> bool:
        """Whether the case is open and ``now`` is past its deadline."""
        return self.is_open and self.deadline is not None and _aware(now, "now") > self.deadline

    @property
    def closed_on_time(self) -> bool | None:
        """For a closed case, whether it closed by its deadline; None while not closed."""
        if self.status != "closed" or self.deadline is None:
            return None
        return self.timeline[-1].at <= self.deadline


def new_case(*, actor: str, at: dt.datetime, notes: str | None = None) -> CaseState:
    """Return a case just reported by ``actor`` at ``at`` (timezone-aware)."""
    return CaseState("reported", (Step("report", "reported", actor, _aware(at, "at"), notes),))


def allowed_actions(state: CaseState, role: str) -> list[str]:
    """Return the actions ``role`` may take on ``state`` now, in :data:`ACTIONS` order."""
    return [a for a in ACTIONS if _FROM[a] == state.status and role in ACTION_ROLES[a]]


def apply_action(
    state: CaseState, action: str, *, actor: str, role: str, at: dt.datetime,
    unit: str | None = None, limit_h: float | None = None, passed: bool | None = None,
    notes: str | None = None,
) -> CaseState:
    """Return the case after ``action``, or raise and change nothing.

    Parameters
    ----------
    state : CaseState
        The case as stored.
    action : str
        One of :data:`ACTIONS`.
    actor, role : str
        Who acts, and the role they act in (``editor``, ``dispatcher``, ``admin``).
    at : datetime
        When (timezone-aware); not before the case's last step.
    unit : str, optional
        The responsible unit; needed by ``dispatch``.
    limit_h : float, optional
        The event type's time limit in hours; needed by ``dispatch``.
    passed : bool, optional
        The verification's outcome; needed by ``verify``.
    notes : str, optional
        Free text; ``reject`` needs it (the reason for not filing).

    Raises
    ------
    InputError
        An unknown action, a missing or bad parameter, a naive or earlier time.
    TransitionError
        The action cannot be taken from ``state.status``.
    NotAllowedError
        ``role`` may not take the action.

    Examples
    --------
    >>> t = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.timezone.utc)
    >>> case = new_case(actor="巡查员", at=t)
    >>> case = apply_action(case, "file", actor="中心", role="dispatcher", at=t)
    >>> case = apply_action(case, "dispatch", actor="中心", role="dispatcher", at=t,
    ...                     unit="林山寨街道", limit_h=2)
    >>> case.status, case.deadline.hour
    ('dispatched', 22)
    """
    if action not in ACTIONS:
        raise InputError(f"action must be one of {', '.join(ACTIONS)}; got {action!r}")
    if state.status != _FROM[action]:
        raise TransitionError(f"cannot {action} a case that is {state.status}; "
                              f"{action} needs a case that is {_FROM[action]}")
    if role not in ACTION_ROLES[action]:
        raise NotAllowedError(f"role {role!r} may not {action} a case; "
                              f"needs one of {', '.join(sorted(ACTION_ROLES[action]))}")
    at = _aware(at, "at")
    if at < state.timeline[-1].at:
        raise InputError(f"at {at.isoformat()} is before the case's last step "
                         f"({state.timeline[-1].at.isoformat()})")
    return _moved(state, action, actor=actor, at=at, unit=unit, limit_h=limit_h,
                  passed=passed, notes=notes)


def _moved(
    state: CaseState, action: str, *, actor: str, at: dt.datetime, unit: str | None,
    limit_h: float | None, passed: bool | None, notes: str | None,
) -> CaseState:
    """Return the state after an action already checked against state and role."""
    changes: dict[str, Any] = {}
    status = _TO[action]
    if action == "reject" and not (notes or "").strip():
        raise InputError("reject needs notes: the reason the case is not filed")
    if action == "dispatch":
        changes["unit"], changes["deadline"] = _dispatch(unit, limit_h, at)
    if action == "verify":
        if not isinstance(passed, bool):
            raise InputError("verify needs passed: true or false")
        if not passed:  # back to the unit: rework, counted, with the same deadline
            status, changes["rework"] = "dispatched", state.rework + 1
    step = Step(action, status, actor, at, notes, unit if action == "dispatch" else None,
                passed if action == "verify" else None)
    return replace(state, status=status, timeline=(*state.timeline, step), **changes)


def _dispatch(unit: str | None, limit_h: float | None,
              at: dt.datetime) -> tuple[str, dt.datetime]:
    if not (unit or "").strip():
        raise InputError("dispatch needs unit: the responsible unit")
    if limit_h is None or not (0 < float(limit_h) < float("inf")):
        raise InputError(f"dispatch needs the event type's limit_h in hours; got {limit_h!r}")
    return str(unit).strip(), at + dt.timedelta(hours=float(limit_h))


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InputError(f"{name} must be a timezone-aware datetime; got {value!r}")
    return value
