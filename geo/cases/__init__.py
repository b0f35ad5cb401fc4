"""Cases: a problem found, filed, dispatched, handled, verified and closed (GB/T 30428's loop).

``types`` holds the table of event types with their time limits; ``machine``
the states, the actions that move a case between them, who may take each
action, deadlines and rework. Both are pure: no store, no web.

``records`` keeps cases in a store: a report is a feature of the ``cases``
layer, each action one update through :mod:`geo.writes`, so the case's
history is its timeline.

``type_book`` keeps a district's own event type table in the store.
``figures`` computes the bureau's figures of a period per group, ranked, and
writes them as JSON-ready dicts, CSV and XLSX (pure: a frame of cases in).

May import: ``geo.errors``, ``geo.ledger``, ``geo.photos``, ``geo.writes``, ``geo.store``,
``geo.io.cells``.
"""

from geo.cases.figures import CaseFigures, FigureRow, case_figures, case_period, figures_frame
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
from geo.cases.records import (
    act_on_case,
    case_at_source,
    case_feature,
    case_state,
    place_of,
    report_case,
    timeline,
)
from geo.cases.type_book import save_types, stored_types
from geo.cases.types import DEFAULT_TYPES, EventType, event_type_of, type_table

__all__ = [
    "ACTIONS",
    "DEFAULT_TYPES",
    "STATES",
    "CaseFigures",
    "CaseState",
    "EventType",
    "FigureRow",
    "NotAllowedError",
    "TransitionError",
    "act_on_case",
    "allowed_actions",
    "apply_action",
    "case_at_source",
    "case_feature",
    "case_figures",
    "case_period",
    "case_state",
    "event_type_of",
    "figures_frame",
    "new_case",
    "place_of",
    "report_case",
    "save_types",
    "stored_types",
    "timeline",
    "type_table",
]
