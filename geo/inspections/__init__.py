"""Inspections of sources: their effect on the source, the rounds and the campaigns.

Modules: ``effects`` (what recording an inspection does to its source, applied by
:mod:`geo.writes`), ``rounds`` (which sources a round must check) and ``campaigns``
(how far a round has got).

May import: ``geo.ledger``, ``geo.errors`` and ``geo.store.base``; never ``geo.writes``
(which imports this package) nor the web layer.
"""

from geo.inspections.campaigns import campaign_progress
from geo.inspections.effects import inspection_effect, recomputed_effect
from geo.inspections.rounds import ROUND_CATEGORIES, due_sources, round_visits

__all__ = [
    "ROUND_CATEGORIES",
    "campaign_progress",
    "due_sources",
    "inspection_effect",
    "recomputed_effect",
    "round_visits",
]
