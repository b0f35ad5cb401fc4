"""The sheet of one inspection round, community by community: checked, not yet checked, violations.

Inspectors check the catering premises community by community (DESIGN,
"Ledger model"; :mod:`geo.inspections.rounds`). :func:`round_sheet` lists,
for each community, the sources due in a round (:func:`due_sources`, the one
definition every view counts against) split into those checked in it, those
not yet checked and those found in violation, so its totals are the home
page's "checked" and "still due" figures (:func:`geo.overview.overview`).

A source checked more than once in a round is shown with its latest visit
(by date, then inspection id): that is where it stands now, so a violation
put right and checked again as compliant no longer counts as a violation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from geo.errors import NotFoundError, ValidationError
from geo.inspections.rounds import current_round, due_sources, round_visits
from geo.ledger import MAX_ROUND
from geo.store.base import Store

__all__ = ["NO_COMMUNITY", "CommunitySheet", "RoundSheet", "SheetEntry", "Visit", "round_sheet"]

#: Pass as ``community`` to pick the sources without a community. Stored text
#: is trimmed and blank text is stored as nothing (geo.ledger), so no
#: community is ever called this.
NO_COMMUNITY = ""
_VIOLATION = "violation"


@dataclass(frozen=True)
class Visit:
    """The inspection of a source that counts for a round (its latest one in it)."""

    id: str
    date: str
    inspector: str | None
    result: str


@dataclass(frozen=True)
class SheetEntry:
    """One source due in the round, with its visit in the round (None: not yet checked)."""

    id: str
    name: str
    address: str | None
    grid: str | None
    status: str | None
    visit: Visit | None

    @property
    def checked(self) -> bool:
        """Whether the source was visited in the round."""
        return self.visit is not None

    @property
    def violation(self) -> bool:
        """Whether its visit in the round found a violation."""
        return self.visit is not None and self.visit.result == _VIOLATION


@dataclass(frozen=True)
class CommunitySheet:
    """The due sources of one community (None: no community recorded), by id."""

    community: str | None
    entries: tuple[SheetEntry, ...]

    @property
    def checked(self) -> tuple[SheetEntry, ...]:
        """The sources visited in the round (violations included)."""
        return tuple(e for e in self.entries if e.checked)

    @property
    def unchecked(self) -> tuple[SheetEntry, ...]:
        """The sources not yet visited in the round."""
        return tuple(e for e in self.entries if not e.checked)

    @property
    def violations(self) -> tuple[SheetEntry, ...]:
        """The sources whose visit in the round found a violation."""
        return tuple(e for e in self.entries if e.violation)

    @property
    def due(self) -> int:
        """How many sources the round must check here."""
        return len(self.entries)

    @property
    def share_checked(self) -> float | None:
        """Checked over due, from 0 to 1; None when nothing is due."""
        return len(self.checked) / self.due if self.due else None


@dataclass(frozen=True)
class RoundSheet:
    """A round's communities (sorted by name, None last) and their totals."""

    round_no: int
    current_round: int
    communities: tuple[CommunitySheet, ...]

    @property
    def due(self) -> int:
        """How many sources the round must check, in every community listed."""
        return sum(c.due for c in self.communities)

    @property
    def checked(self) -> int:
        """How many of them were visited in the round."""
        return sum(len(c.checked) for c in self.communities)

    @property
    def unchecked(self) -> int:
        """How many of them are still to be checked (the home page's "due" figure)."""
        return sum(len(c.unchecked) for c in self.communities)

    @property
    def violations(self) -> int:
        """How many of them were found in violation."""
        return sum(len(c.violations) for c in self.communities)

    @property
    def rounds(self) -> tuple[int, ...]:
        """The rounds there are so far: 1 up to the current round (or this one, if later)."""
        return tuple(range(1, max(self.current_round, self.round_no) + 1))


def round_sheet(
    store: Store, *, round_no: int | None = None, community: str | None = None
) -> RoundSheet:
    """Return, per community, the sources due in a round: checked, not yet checked, violations.

    Parameters
    ----------
    store : Store
        The ledger.
    round_no : int, optional
        The round, from 1 to :data:`geo.ledger.MAX_ROUND`; defaults to the
        current one (:func:`current_round`).
    community : str, optional
        Only this community (:data:`NO_COMMUNITY` for the sources without
        one); None lists every community.

    Returns
    -------
    RoundSheet
        Communities sorted by name, None (no community recorded) last; within
        each, the due sources by id.

    Raises
    ------
    ValidationError
        ``round_no`` is not a whole number from 1 to ``MAX_ROUND`` (``field``
        is ``"round"``).
    NotFoundError
        ``community`` is not the community of any source in the ledger.

    Examples
    --------
    >>> sheet = round_sheet(store, round_no=1)  # doctest: +SKIP
    >>> sheet.checked + sheet.unchecked == sheet.due  # doctest: +SKIP
    True
    """
    if round_no is not None:
        _check_round(round_no)
    sources, inspections = store.read("sources"), store.read("inspections")
    current = current_round(inspections)
    round_no = current if round_no is None else round_no
    if community is not None:
        _check_community(sources, community)
    visits = _latest_visits(round_visits(inspections, round_no=round_no))
    due = due_sources(sources, inspections, round_no=round_no)
    if community is not None:
        due = due[_community_key(due) == community]
    return RoundSheet(round_no=round_no, current_round=current,
                      communities=_communities(due, visits))


def _check_round(round_no: object) -> None:
    # bool is an int to Python, never a round to a person
    if isinstance(round_no, bool) or not isinstance(round_no, int) \
            or not 1 <= round_no <= MAX_ROUND:
        raise ValidationError(
            f"round {round_no!r} must be a whole number from 1 to {MAX_ROUND}", field="round")


def _community_key(sources: pd.DataFrame) -> pd.Series:
    """Each source's community, :data:`NO_COMMUNITY` where none is recorded."""
    return sources["community"].astype(object).where(sources["community"].notna(), NO_COMMUNITY)


def _check_community(sources: pd.DataFrame, community: str) -> None:
    if not (_community_key(sources) == community).any():
        what = "no source lacks a community" if community == NO_COMMUNITY \
            else f"no source is in community {community!r}"
        raise NotFoundError(what)


def _latest_visits(visits: pd.DataFrame) -> dict[str, Visit]:
    """Each visited source's latest visit of the round (by date, then inspection id)."""
    if not len(visits):
        return {}
    ordered = visits.astype({"date": str}).sort_values(["date", "id"], kind="stable")
    latest = ordered.drop_duplicates("source_id", keep="last")
    return {str(row["source_id"]): Visit(id=str(row["id"]), date=str(row["date"])[:10],
                                         inspector=_text(row.get("inspector")),
                                         result=str(row["result"]))
            for row in latest.to_dict("records")}


def _communities(due: pd.DataFrame, visits: dict[str, Visit]) -> tuple[CommunitySheet, ...]:
    keys = _community_key(due)
    # named communities by name, the sources without one last
    names = sorted(set(keys) - {NO_COMMUNITY})
    if (keys == NO_COMMUNITY).any():
        names.append(NO_COMMUNITY)
    sheets = []
    for name in names:
        rows = due[keys == name].sort_values("id", kind="stable").to_dict("records")
        sheets.append(CommunitySheet(
            community=None if name == NO_COMMUNITY else name,
            entries=tuple(_entry(row, visits.get(str(row["id"]))) for row in rows)))
    return tuple(sheets)


def _entry(row: dict[str, Any], visit: Visit | None) -> SheetEntry:
    return SheetEntry(id=str(row["id"]), name=str(row["name"]), address=_text(row.get("address")),
                      grid=_text(row.get("grid")), status=_text(row.get("status")), visit=visit)


def _text(value: Any) -> str | None:
    # a missing value reads as None or NaN depending on the store and the column
    return None if value is None or value != value else str(value)
