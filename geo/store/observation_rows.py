"""Hourly air-quality readings as both stores keep them: the ``observations`` table.

One row per station and hour, keyed by (``station_id``, ``time``). ``time``
is the hour's label in UTC, ISO 8601 with a ``Z``
(``2026-11-03T00:00:00Z``); the national platform labels an hour by its
*end* (the 08:00 reading is the mean of 07:00–08:00 Beijing time) and the
label is kept as given, only converted to UTC. Concentrations are µg/m³
(``co`` mg/m³), ``wd_deg`` the direction the wind comes from (degrees
clockwise from north), ``ws_ms`` its speed in m/s; every reading may be
missing (None in rows, NaN in frames).

This is deliberately not a ledger layer: a year of 100 stations is 876,000
rows, kept without per-row history; an import is one transaction.

May import: ``geo.errors`` and third-party libraries only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import ValidationError

__all__ = [
    "OBSERVATION_COLUMNS",
    "READING_COLUMNS",
    "ObservationRow",
    "check_unique_keys",
    "observation_frame",
]

#: The readings of one hour, in table order.
READING_COLUMNS = ("pm25", "pm10", "so2", "no2", "o3", "co", "wd_deg", "ws_ms")
#: Every column of the table, in order: the key, then the readings.
OBSERVATION_COLUMNS = ("station_id", "time", *READING_COLUMNS)
#: One row to store: station id, UTC ISO time, then the readings (float or None).
ObservationRow = tuple[Any, ...]


def check_unique_keys(rows: Sequence[ObservationRow]) -> None:
    """Refuse rows that name the same station and hour twice (an upsert takes each once).

    Raises
    ------
    ValidationError
        Naming the first repeated station and hour.
    """
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row[0], row[1])
        if key in seen:
            raise ValidationError(f"station {key[0]!r} hour {key[1]} given twice", field="time")
        seen.add(key)


def observation_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Return stored rows as a frame: ``station_id``, ``time`` (UTC ISO text), float readings."""
    frame = pd.DataFrame(list(rows), columns=list(OBSERVATION_COLUMNS))
    frame["station_id"] = frame["station_id"].astype(object)
    frame["time"] = frame["time"].astype(object)
    for column in READING_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(np.float64)
    return frame
