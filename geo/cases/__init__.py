"""Cases: a problem found, filed, dispatched, handled, verified and closed (GB/T 30428's loop).

``types`` holds the table of event types with their time limits; ``machine``
the states, the actions that move a case between them, who may take each
action, deadlines and rework. Both are pure: no store, no web.

May import: ``geo.errors``.
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
from geo.cases.types import DEFAULT_TYPES, EventType, type_table

__all__ = [
    "ACTIONS",
    "DEFAULT_TYPES",
    "STATES",
    "CaseState",
    "EventType",
    "NotAllowedError",
    "TransitionError",
    "allowed_actions",
    "apply_action",
    "new_case",
    "type_table",
]
