"""Reports the bureau sends upward: roll-ups of the ledger and the files they are written to.

Modules: ``summary`` (the roll-ups: :class:`View`, :class:`Report`, :func:`build_report`)
and ``files`` (the same numbers as JSON-ready dicts, CSV and XLSX).

May import: ``geo.ledger``, ``geo.errors``, ``geo.history``, ``geo.priority``,
``geo.inspections``, ``geo.store.base`` and ``geo.io.cells``; never the web layer.
"""

from geo.reports.files import display_value, label_value, report_dict, write_csv, write_xlsx
from geo.reports.summary import (
    BREAKDOWNS,
    CATEGORY_LABELS,
    LABELS,
    NOT_APPLICABLE,
    STATUS_LABELS,
    Report,
    View,
    area_counts,
    build_report,
    category_status,
    headline,
    monthly_trend,
    purifier_coverage,
    round_coverage,
    round_progress,
    station_counts,
    status_category,
)

__all__ = [
    "BREAKDOWNS",
    "CATEGORY_LABELS",
    "LABELS",
    "NOT_APPLICABLE",
    "STATUS_LABELS",
    "Report",
    "View",
    "area_counts",
    "build_report",
    "category_status",
    "display_value",
    "headline",
    "label_value",
    "monthly_trend",
    "purifier_coverage",
    "report_dict",
    "round_coverage",
    "round_progress",
    "station_counts",
    "status_category",
    "write_csv",
    "write_xlsx",
]
