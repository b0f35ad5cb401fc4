"""Reports the bureau sends upward: roll-ups of the ledger and the files they are written to.

Modules: ``summary`` (the roll-ups: :class:`View`, :class:`Report`, :func:`build_report`),
``words`` (their words in Chinese and English, and the period they cover) and
``files`` (the same numbers as JSON-ready dicts, CSV and XLSX).

May import: ``geo.ledger``, ``geo.errors``, ``geo.history``, ``geo.priority``,
``geo.inspections``, ``geo.store.base``, ``geo.io.cells``, ``geo.vocabulary`` and
``geo.ledger_table``; never the web layer.
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
from geo.reports.words import (
    LABELS_EN,
    TITLES_EN,
    column_label,
    is_wide,
    report_period,
    report_title,
    view_note,
    view_period,
    view_title,
)

__all__ = [
    "BREAKDOWNS",
    "CATEGORY_LABELS",
    "LABELS",
    "LABELS_EN",
    "NOT_APPLICABLE",
    "STATUS_LABELS",
    "TITLES_EN",
    "Report",
    "View",
    "area_counts",
    "build_report",
    "category_status",
    "column_label",
    "display_value",
    "headline",
    "is_wide",
    "label_value",
    "monthly_trend",
    "purifier_coverage",
    "report_dict",
    "report_period",
    "report_title",
    "round_coverage",
    "round_progress",
    "station_counts",
    "status_category",
    "view_note",
    "view_period",
    "view_title",
    "write_csv",
    "write_xlsx",
]
