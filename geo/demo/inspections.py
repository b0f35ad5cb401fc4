"""Inspection records of the demonstration ledger.

The report says the bureau checked every catering premise three times,
community by community (以社区为单位 ... 进行了3次信息核对和安装使用油烟
净化装置情况检查); each round here visits the communities one after another
within its window, later rounds later. Open-air bbq spots get one closure
(取缔) each, night markets one on-site check (摸底和现场督促).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from geo.demo.sources import DEMO_NOTE

Row = dict[str, Any]

#: First and last day of each catering round (2026).
ROUND_WINDOWS = {
    1: (dt.date(2026, 1, 5), dt.date(2026, 3, 27)),
    2: (dt.date(2026, 4, 7), dt.date(2026, 6, 26)),
    3: (dt.date(2026, 7, 6), dt.date(2026, 9, 25)),
}
BBQ_WINDOW = (dt.date(2026, 1, 5), dt.date(2026, 6, 30))
MARKET_WINDOW = (dt.date(2026, 5, 6), dt.date(2026, 5, 29))
# Premises of one community are seen on its day or within the next two.
VISIT_SPREAD_DAYS = 3
ROUND_CHECK = "信息核对和安装使用油烟净化装置情况检查"


def _inspector(row: Row) -> str:
    return f"{row['subdistrict']}执法中队"


def _record(row: Row, day: dt.date, round_no: int | None, result: str, notes: str) -> Row:
    return {
        "source_id": row["id"],
        "date": day.isoformat(),
        "round": round_no,
        "inspector": _inspector(row),
        "result": result,
        "notes": notes,
        "demo": True,
    }


def catering_rounds(rows: list[Row], rng: np.random.Generator) -> list[Row]:
    """Three compliant checks per premise, community by community; sets last_inspected."""
    groups = sorted({(r["subdistrict"], r["community"]) for r in rows})
    records: list[Row] = []
    for round_no, (first, last) in ROUND_WINDOWS.items():
        span = (last - first).days + 1 - (VISIT_SPREAD_DAYS - 1)
        order = rng.permutation(len(groups))
        group_day = {
            groups[int(g)]: first + dt.timedelta(days=pos * span // len(groups))
            for pos, g in enumerate(order)
        }
        extra = rng.integers(0, VISIT_SPREAD_DAYS, size=len(rows))
        batch = []
        for row, add in zip(rows, extra, strict=True):
            day = group_day[(row["subdistrict"], row["community"])] + dt.timedelta(days=int(add))
            notes = f"{DEMO_NOTE}；第{round_no}轮{ROUND_CHECK}：已安装并正常使用"
            batch.append(_record(row, day, round_no, "compliant", notes))
            row["last_inspected"] = day.isoformat()
        records += sorted(batch, key=lambda r: (r["date"], r["source_id"]))
    return records


def _days(window: tuple[dt.date, dt.date], n: int, rng: np.random.Generator) -> list[dt.date]:
    first, last = window
    offsets = rng.integers(0, (last - first).days + 1, size=n)
    return [first + dt.timedelta(days=int(k)) for k in offsets]


def one_visit(
    rows: list[Row],
    rng: np.random.Generator,
    *,
    window: tuple[dt.date, dt.date],
    result: str,
    notes: str,
) -> list[Row]:
    """One inspection per source on a random day of ``window``; sets last_inspected."""
    records = []
    for row, day in zip(rows, _days(window, len(rows), rng), strict=True):
        records.append(_record(row, day, None, result, f"{DEMO_NOTE}；{notes}"))
        row["last_inspected"] = day.isoformat()
    return sorted(records, key=lambda r: (r["date"], r["source_id"]))
