"""Cases: a problem found, filed, dispatched, handled, verified and closed (GB/T 30428's loop).

``types`` holds the table of event types with their time limits; ``machine``
the states, the actions that move a case between them, who may take each
action, deadlines and rework. Both are pure: no store, no web.

``records`` keeps cases in a store: a report is a feature of the ``cases``
layer, each action one update through :mod:`geo.writes`, so the case's
history is its timeline.

May import: ``geo.errors``, ``geo.ledger``, ``geo.writes``, ``geo.store``.
"""

from geo.cases.machine import (
    ACTIONS,
    STATES,
    CaseState,
    NotAllowedError,
    TransitionError,
    allowed_actions,
    apply_action,
    new_case,
)
from geo.cases.records import act_on_case, case_state, place_of, report_case, timeline
from geo.cases.types import DEFAULT_TYPES, EventType, type_table

__all__ = [
    "ACTIONS",
    "DEFAULT_TYPES",
    "STATES",
    "CaseState",
    "EventType",
    "NotAllowedError",
    "TransitionError",
    "act_on_case",
    "allowed_actions",
    "apply_action",
    "case_state",
    "new_case",
    "place_of",
    "report_case",
    "timeline",
    "type_table",
]
