"""Pollution roses and the conditional probability function (CPF, CBPF).

A rose splits a window of hourly readings by the direction the wind came
*from* (degrees clockwise from north, 0..360 with 360 the same as 0) into
``sectors`` equal sectors. Sector *i* is centred on ``i * 360 / sectors``;
it spans ``[centre - half, centre + half)``, so sector 0 straddles north and
a wind of exactly a boundary belongs to the sector clockwise of it.

Rules this module decides, in one place
---------------------------------------
* **Valid hour**: the pollutant, ``wd_deg`` and ``ws_ms`` all present.
  Hours missing any of them are ignored entirely.
* **Calm hour**: a valid hour with ``ws_ms < calm_ms``. Its direction means
  nothing, so it is counted in ``calm_hours`` and in no sector.
* **Threshold**: the ``percentile``-th percentile of the pollutant over *all*
  valid hours of the window, calm hours included, as openair does (the CPF
  asks "how often is a high hour of this window found in this sector", and a
  calm high hour is still a high hour of the window). Linear interpolation
  between order statistics (numpy's default, R's type 7).
* **CPF** of a sector: its hours with concentration >= threshold divided by
  its hours; ``None`` when it has fewer than ``min_hours`` hours (too few to
  mean anything). The mean is given whenever the sector has any hour.
* **CBPF** (Uria-Tellaetxe & Carslaw 2014): the same ratio in each
  (sector, wind-speed bin) cell; bins are ``[edge_j, edge_j+1)``; hours below
  the first edge are calm, hours at or above the last edge are counted in
  ``unbinned_hours``. An optional ``upper_percentile`` turns the condition
  into the paper's concentration range ``threshold <= c < upper``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.errors import InputError

__all__ = ["BivariateRose", "Cell", "Rose", "Sector", "cbpf", "pollution_rose", "sector_index"]

DEFAULT_SPEED_BINS_MS = (0.5, 2.0, 4.0, 6.0, math.inf)


@dataclass(frozen=True)
class Sector:
    """One wind sector of a rose: ``hours`` outside calm, their ``mean``, and ``cpf``."""

    index: int
    centre_deg: float
    hours: int
    mean: float | None
    cpf: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {"index": self.index, "centre_deg": self.centre_deg, "hours": self.hours,
                "mean": self.mean, "cpf": self.cpf}


@dataclass(frozen=True)
class Rose:
    """A pollution rose with CPF over one window of hourly readings."""

    pollutant: str
    sectors: tuple[Sector, ...]
    calm_hours: int
    valid_hours: int
    threshold: float | None  #: the percentile concentration; None without valid hours
    percentile: float
    calm_ms: float
    min_hours: int

    def sector_of(self, bearing_deg: float) -> int:
        """Return the index of the sector containing a direction in degrees."""
        return int(sector_index(np.array([bearing_deg]), len(self.sectors))[0])

    def worst(self) -> Sector | None:
        """Return the sector with the highest CPF (ties: the lower index), or None."""
        rated = [s for s in self.sectors if s.cpf is not None]
        return max(rated, key=lambda s: (s.cpf, -s.index)) if rated else None

    def to_dict(self) -> dict[str, Any]:
        """Return the rose as a JSON-ready dict (the ``/rose`` answer's body)."""
        return {
            "pollutant": self.pollutant, "percentile": self.percentile,
            "threshold": self.threshold, "calm_ms": self.calm_ms, "min_hours": self.min_hours,
            "valid_hours": self.valid_hours, "calm_hours": self.calm_hours,
            "sectors": [s.to_dict() for s in self.sectors],
        }


@dataclass(frozen=True)
class Cell:
    """One (sector, wind-speed bin) cell of a bivariate rose."""

    sector: int
    centre_deg: float
    speed_min_ms: float
    speed_max_ms: float
    hours: int
    mean: float | None
    cpf: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict (an infinite bin edge becomes None)."""
        top = None if math.isinf(self.speed_max_ms) else self.speed_max_ms
        return {"sector": self.sector, "centre_deg": self.centre_deg,
                "speed_min_ms": self.speed_min_ms, "speed_max_ms": top,
                "hours": self.hours, "mean": self.mean, "cpf": self.cpf}


@dataclass(frozen=True)
class BivariateRose:
    """A CBPF rose: ``cells`` in sector-major order (sector 0's bins first)."""

    pollutant: str
    sectors: int
    speed_bins_ms: tuple[float, ...]
    cells: tuple[Cell, ...]
    calm_hours: int
    unbinned_hours: int
    valid_hours: int
    threshold: float | None
    upper: float | None

    def cpf_matrix(self) -> NDArray[np.float64]:
        """Return CBPF as a (sectors, bins) array; NaN where a cell has no CBPF."""
        values = [np.nan if c.cpf is None else c.cpf for c in self.cells]
        return np.array(values, dtype=float).reshape(self.sectors, len(self.speed_bins_ms) - 1)

    def to_dict(self) -> dict[str, Any]:
        """Return the bivariate rose as a JSON-ready dict."""
        edges = [None if math.isinf(e) else e for e in self.speed_bins_ms]
        return {"pollutant": self.pollutant, "sectors": self.sectors, "speed_bins_ms": edges,
                "threshold": self.threshold, "upper": self.upper,
                "valid_hours": self.valid_hours, "calm_hours": self.calm_hours,
                "unbinned_hours": self.unbinned_hours, "cells": [c.to_dict() for c in self.cells]}


def sector_index(direction_deg: NDArray[np.float64], sectors: int) -> NDArray[np.int64]:
    """Return the sector of each direction (degrees, 0..360) for ``sectors`` sectors.

    Examples
    --------
    >>> sector_index(np.array([0.0, 11.24, 11.25, 348.75, 360.0]), 16).tolist()
    [0, 0, 1, 0, 0]
    """
    scaled = np.asarray(direction_deg, dtype=float) * (sectors / 360.0) + 0.5
    return (np.floor(scaled).astype(np.int64) % sectors).astype(np.int64)


def pollution_rose(
    frame: pd.DataFrame,
    *,
    pollutant: str,
    sectors: int = 16,
    percentile: float = 75,
    calm_ms: float = 0.5,
    min_hours: int = 3,
) -> Rose:
    """Return the pollution rose of hourly readings with each sector's CPF.

    Parameters
    ----------
    frame : DataFrame
        Hourly rows with columns ``wd_deg`` (where the wind comes from,
        0..360), ``ws_ms`` and ``pollutant``; blanks are allowed.
    pollutant : str
        The column to rate (``pm25``, ``no2``, ...).
    sectors : int, default 16
        Number of equal wind sectors, 2..360.
    percentile : float, default 75
        The threshold percentile (0..100) over all valid hours of the window.
    calm_ms : float, default 0.5
        Hours with a wind speed below this are calm and in no sector.
    min_hours : int, default 3
        Sectors with fewer hours get ``cpf`` None.

    Returns
    -------
    Rose

    Raises
    ------
    InputError
        A missing column, an option out of range, a direction outside 0..360
        or a negative speed.

    Examples
    --------
    >>> rows = pd.DataFrame({"wd_deg": [90, 90, 90, 270, 270, 270, 0],
    ...                      "ws_ms": [2, 2, 2, 2, 2, 2, 0.1],
    ...                      "pm25": [80, 90, 70, 10, 20, 10, 50]})
    >>> rose = pollution_rose(rows, pollutant="pm25", sectors=4)
    >>> [(s.centre_deg, s.hours, s.cpf) for s in rose.sectors], rose.calm_hours
    ([(0.0, 0, None), (90.0, 3, 0.6666666666666666), (180.0, 0, None), (270.0, 3, 0.0)], 1)
    """
    _check_options(sectors, percentile, calm_ms, min_hours)
    conc, wd, ws = _valid_hours(frame, pollutant)
    threshold = float(np.percentile(conc, percentile)) if len(conc) else None
    calm = ws < calm_ms
    index = sector_index(wd[~calm], sectors)
    windy = conc[~calm]
    high = windy >= threshold if threshold is not None else np.zeros(0, dtype=bool)
    out = tuple(
        _sector(i, sectors, windy[index == i], high[index == i], min_hours) for i in range(sectors)
    )
    return Rose(pollutant, out, int(calm.sum()), len(conc), threshold, float(percentile),
                float(calm_ms), int(min_hours))


def cbpf(
    frame: pd.DataFrame,
    *,
    pollutant: str,
    sectors: int = 16,
    percentile: float = 75,
    upper_percentile: float | None = None,
    speed_bins_ms: Sequence[float] = DEFAULT_SPEED_BINS_MS,
    min_hours: int = 3,
) -> BivariateRose:
    """Return the conditional bivariate probability function by sector and wind speed.

    Parameters
    ----------
    frame : DataFrame
        As for :func:`pollution_rose`.
    pollutant, sectors, percentile, min_hours
        As for :func:`pollution_rose`.
    upper_percentile : float, optional
        With it, a cell counts hours with ``threshold <= c < upper`` (the
        paper's concentration range); without it, ``c >= threshold``.
    speed_bins_ms : sequence of float, default (0.5, 2, 4, 6, inf)
        Increasing bin edges, the first >= 0; below the first is calm.

    Returns
    -------
    BivariateRose

    Examples
    --------
    >>> rows = pd.DataFrame({"wd_deg": [90] * 4, "ws_ms": [1, 1, 5, 5], "pm25": [1, 2, 9, 8]})
    >>> rose = cbpf(rows, pollutant="pm25", sectors=4, percentile=50,
    ...             speed_bins_ms=(0.5, 3, 10), min_hours=2)
    >>> rose.cpf_matrix()[1].tolist()
    [0.0, 1.0]
    """
    edges = _check_edges(speed_bins_ms)
    _check_options(sectors, percentile, edges[0], min_hours)
    conc, wd, ws = _valid_hours(frame, pollutant)
    threshold = float(np.percentile(conc, percentile)) if len(conc) else None
    upper = _upper(conc, percentile, upper_percentile)
    bins = np.searchsorted(np.asarray(edges), ws, side="right") - 1
    binned = (bins >= 0) & (bins < len(edges) - 1)
    sec = sector_index(wd, sectors)
    high = _high(conc, threshold, upper)
    cells = []
    for i in range(sectors):
        for j in range(len(edges) - 1):
            pick = binned & (sec == i) & (bins == j)
            base = _sector(i, sectors, conc[pick], high[pick], min_hours)
            cells.append(Cell(i, base.centre_deg, edges[j], edges[j + 1], base.hours,
                              base.mean, base.cpf))
    return BivariateRose(pollutant, sectors, edges, tuple(cells), int((bins < 0).sum()),
                         int((bins >= len(edges) - 1).sum()), len(conc), threshold, upper)


# --------------------------------------------------------------------------- helpers
def _sector(
    i: int, sectors: int, conc: NDArray[np.float64], high: NDArray[np.bool_], min_hours: int
) -> Sector:
    hours = len(conc)
    mean = float(conc.mean()) if hours else None
    cpf = float(high.sum() / hours) if hours >= min_hours and hours else None
    return Sector(i, i * 360.0 / sectors, hours, mean, cpf)


def _high(
    conc: NDArray[np.float64], threshold: float | None, upper: float | None
) -> NDArray[np.bool_]:
    if threshold is None:
        return np.zeros(0, dtype=bool)
    high = conc >= threshold
    return high & (conc < upper) if upper is not None else high


def _upper(conc: NDArray[np.float64], lower: float, upper_percentile: float | None) -> float | None:
    if upper_percentile is None:
        return None
    if not lower < float(upper_percentile) <= 100:
        raise InputError(
            f"upper_percentile must be above percentile {lower:g} and at most 100, "
            f"got {upper_percentile!r}"
        )
    return float(np.percentile(conc, upper_percentile)) if len(conc) else None


def _valid_hours(
    frame: pd.DataFrame, pollutant: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(concentration, direction, speed) of the hours with all three present."""
    missing = [c for c in (pollutant, "wd_deg", "ws_ms") if c not in frame.columns]
    if missing:
        raise InputError(f"readings have no column {missing[0]!r}; expected wd_deg, ws_ms "
                         f"and {pollutant!r}")
    cols = [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
            for c in (pollutant, "wd_deg", "ws_ms")]
    conc, wd, ws = cols
    ok = np.isfinite(conc) & np.isfinite(wd) & np.isfinite(ws)
    conc, wd, ws = conc[ok], wd[ok], ws[ok]
    if ((wd < 0) | (wd > 360)).any():
        bad = wd[(wd < 0) | (wd > 360)][0]
        raise InputError(f"wind direction {bad:g} is outside 0..360 degrees")
    if (ws < 0).any():
        raise InputError(f"wind speed {ws[ws < 0][0]:g} m/s is negative")
    return conc, wd, ws


def _check_options(sectors: Any, percentile: Any, calm_ms: Any, min_hours: Any) -> None:
    if not _whole(sectors) or not 2 <= sectors <= 360:
        raise InputError(f"sectors must be a whole number from 2 to 360, got {sectors!r}")
    if not _real(percentile) or not 0 <= percentile <= 100:
        raise InputError(f"percentile must be from 0 to 100, got {percentile!r}")
    if not _real(calm_ms) or not 0 <= calm_ms < math.inf:
        raise InputError(f"calm_ms must be a speed of 0 m/s or more, got {calm_ms!r}")
    if not _whole(min_hours) or min_hours < 1:
        raise InputError(f"min_hours must be a whole number of 1 or more, got {min_hours!r}")


def _whole(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_edges(speed_bins_ms: Sequence[float]) -> tuple[float, ...]:
    try:
        edges = tuple(float(e) for e in speed_bins_ms)
    except (TypeError, ValueError):
        raise InputError(f"speed_bins_ms must be numbers, got {speed_bins_ms!r}") from None
    steps = np.diff(edges) if len(edges) > 1 else np.zeros(0)
    if len(edges) < 2 or edges[0] < 0 or not math.isfinite(edges[0]) or (steps <= 0).any():
        raise InputError(
            f"speed_bins_ms must be 2 or more increasing edges from 0 m/s up, got {speed_bins_ms!r}"
        )
    return edges
