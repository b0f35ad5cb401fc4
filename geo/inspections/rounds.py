"""Which sources an inspection round must check: one definition for every view.

The bureau's rounds (轮次) are the community-by-community checks of the
catering premises (信息核对和安装使用油烟净化装置情况检查). The report's
rounds view (:func:`geo.reports.summary.round_coverage`), its "rounds completed"
figure and the campaign progress (:func:`geo.inspections.campaign_progress`)
all count against :func:`due_sources`, so their "checked" and "not checked"
agree.

The ledger keeps no opening date, so a premise counts as due in every round
while it is in operation: one that opened after a round ended makes that
round look unfinished until it is checked in it.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["ROUND_CATEGORIES", "current_round", "due_sources", "round_visits"]

#: Categories the inspection rounds check (open-air bbq spots, night markets,
#: sites and routes are handled by one-off visits, not rounds).
ROUND_CATEGORIES = ("catering",)


def current_round(inspections: pd.DataFrame) -> int:
    """Return the round under way: the highest round any inspection names, or 1.

    Examples
    --------
    >>> current_round(pd.DataFrame({"round": [1, 3, None]})), current_round(pd.DataFrame())
    (3, 1)
    """
    if not len(inspections) or "round" not in inspections.columns:
        return 1
    rounds = pd.to_numeric(inspections["round"], errors="coerce").dropna()
    return max(1, int(rounds.max())) if len(rounds) else 1


def round_visits(inspections: pd.DataFrame, *, round_no: int) -> pd.DataFrame:
    """Return the inspections recorded under round ``round_no``.

    Examples
    --------
    >>> visits = pd.DataFrame({"source_id": ["a", "b"], "round": [1, None]})
    >>> round_visits(visits, round_no=1)["source_id"].tolist()
    ['a']
    """
    if not len(inspections) or "round" not in inspections.columns:
        return inspections.iloc[:0]
    rounds = pd.to_numeric(inspections["round"], errors="coerce")
    return inspections[rounds == round_no]


def due_sources(
    sources: pd.DataFrame, inspections: pd.DataFrame, *, round_no: int
) -> pd.DataFrame:
    """Return the sources due for inspection in round ``round_no``.

    Due are the premises of :data:`ROUND_CATEGORIES` in operation (status
    ``operating`` or ``rectifying``, or not recorded), and also the closed
    ones that were visited in this round: that visit recorded the closure,
    so it still counts as this round's check. Closed premises not visited
    in the round are not due in it.

    Parameters
    ----------
    sources : DataFrame
        Sources with ``id``, ``category`` and ``status``.
    inspections : DataFrame
        Inspections with ``source_id`` and ``round`` (any rounds; only
        those of ``round_no`` matter).
    round_no : int
        The round.

    Returns
    -------
    DataFrame
        A copy of the rows of ``sources`` that are due, in their order.

    Examples
    --------
    >>> sources = pd.DataFrame({"id": ["a", "b", "c", "d"],
    ...                         "category": ["catering", "catering", "catering", "bbq"],
    ...                         "status": ["operating", "closed", "closed", "operating"]})
    >>> visits = pd.DataFrame({"source_id": ["b", "d"], "round": [2, 2]})
    >>> due_sources(sources, visits, round_no=2)["id"].tolist()
    ['a', 'b']
    >>> due_sources(sources, visits, round_no=1)["id"].tolist()
    ['a']
    """
    visited = set(round_visits(inspections, round_no=round_no).get("source_id", []))
    premises = sources["category"].isin(ROUND_CATEGORIES)
    in_operation = sources["status"].fillna("operating") != "closed"
    # a copy, so callers may add columns (checked, ...) without touching ``sources``
    return sources[premises & (in_operation | sources["id"].isin(visited))].copy()
