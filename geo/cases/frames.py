"""Cases as a store reads them (a frame): their times parsed, which are open and overdue.

The machine (:mod:`geo.cases.machine`) judges one case; these judge a whole
frame at once, by the same rule: a case is open unless closed or rejected,
and overdue when open and past its deadline.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geo.cases.machine import OPEN_STATES

__all__ = ["case_times", "open_mask", "overdue_mask"]


def case_times(column: pd.Series) -> pd.Series:
    """Return a column of stored times (ISO 8601 UTC text or datetimes) as UTC; odd ones NaT."""
    return pd.to_datetime(column, utc=True, errors="coerce", format="ISO8601")


def open_mask(frame: pd.DataFrame) -> pd.Series:
    """Return, per case of ``frame``, whether it is open (neither closed nor rejected)."""
    return frame["status"].isin(sorted(OPEN_STATES)).astype(bool)


def overdue_mask(frame: pd.DataFrame, now: dt.datetime) -> pd.Series:
    """Return, per case of ``frame``, whether it is open and ``now`` is past its deadline.

    Examples
    --------
    >>> frame = pd.DataFrame({"status": ["dispatched", "closed", "filed"],
    ...     "deadline": ["2026-12-01T02:00:00Z", "2026-12-01T02:00:00Z", None]})
    >>> overdue_mask(frame, dt.datetime(2026, 12, 1, 3, tzinfo=dt.UTC)).tolist()
    [True, False, False]
    """
    if not len(frame):
        return pd.Series([], dtype=bool, index=frame.index)
    deadline = case_times(frame["deadline"])
    return (open_mask(frame) & deadline.notna() & (deadline < pd.Timestamp(now))).astype(bool)
