"""``zonewatch case ...``: list cases, show one with its timeline, keep the event type table.

A thin front door over :mod:`geo.cases`, attached to the ``zonewatch``
command by :mod:`api.cli` (``app.add_typer(case_app, name="case")``). It
follows that module's conventions (:mod:`api.cli_support`): ``--store``,
one ``error:`` line on stderr and exit code 1 for bad input or data, 2 for
usage errors.

Tables speak Chinese (``--english`` for English) with the words of the case
pages (:mod:`api.pages.case_words`); times are shown in Beijing time, while
``--json`` gives the stored UTC times.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.cli_support import StoreOpt, out
from api.cli_support import domain_errors as _domain_errors
from api.cli_support import opened as _opened
from api.cli_support import say as _say
from api.pages.case_words import beijing, parse_time, time_left, words
from api.settings import Settings
from geo.errors import InputError
from geo.ledger import BUREAU_TZ, CASE_STATUSES

__all__ = ["case_app"]

case_app = typer.Typer(no_args_is_help=True,
                       help="Cases (案件): list them, show one with its timeline, event types.")
EnglishOpt = Annotated[bool, typer.Option("--english", help="English headers and words.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (stored UTC times).")]

#: Column headers of ``case types`` and of the files it writes and loads.
TYPE_COLUMNS = ("code", "name_zh", "name_en", "limit_h")
TYPE_HEADERS = {"zh": ("代码", "中文名", "English", "时限（小时）"),
                "en": ("Code", "Chinese name", "English name", "Limit (h)")}
#: Headers a loaded table may use for each column (compared without case, spaces, units).
TYPE_ALIASES = {
    "code": ("code", "代码", "编码", "类型代码"),
    "name_zh": ("name_zh", "名称", "中文名", "中文名称", "类型名称"),
    "name_en": ("name_en", "英文名", "英文名称", "english", "englishname"),
    "limit_h": ("limit_h", "时限", "处置时限", "limit", "limith"),
}
_UNIT_SUFFIX = re.compile(r"[（(](小时|h|hours?)[）)]$")
_ROW_MESSAGE = re.compile(r"^row (\d+): (.*)$", re.S)


class StatusChoice(StrEnum):
    """Case statuses (:data:`geo.ledger.CASE_STATUSES`)."""

    REPORTED = "reported"
    FILED = "filed"
    DISPATCHED = "dispatched"
    HANDLED = "handled"
    VERIFIED = "verified"
    CLOSED = "closed"
    REJECTED = "rejected"


# -- helpers (as in api.cli) ----------------------------------------------------------------


def _table(*headers: str, title: str | None = None) -> Table:
    table = Table(*headers, title=title)
    for column in table.columns:  # a narrow terminal or a pipe folds cells, never cuts them
        column.overflow = "fold"
    return table


def _json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _cell(value: Any) -> str:
    return "" if _blank(value) else escape(str(value))


# -- case list --------------------------------------------------------------------------------


@case_app.command("list")
@_domain_errors
def case_list(
    status: Annotated[StatusChoice | None, typer.Option("--status", help="Only this status.")
                      ] = None,
    overdue: Annotated[bool, typer.Option(
        "--overdue", help="Only open cases past their deadline.")] = False,
    grid: Annotated[str | None, typer.Option("--grid", help="Only this grid (网格) name.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Only this responsible unit.")
                    ] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="Only this event type code.")
                          ] = None,
    as_json: JsonOpt = False,
    english: EnglishOpt = False,
    store: StoreOpt = None,
) -> None:
    """List cases, newest report first: type, status, channel, grid, unit, deadline."""
    from geo.cases import stored_types
    from geo.store.base import Query

    filters = {k: v for k, v in (("status", status.value if status else None), ("grid", grid),
                                 ("unit", unit), ("event_type", event_type)) if v is not None}
    now = dt.datetime.now(dt.UTC)
    with _opened(store) as opened:
        types = stored_types(opened)
        if event_type is not None and event_type not in types:
            raise InputError(f"--type {event_type!r} is not an event type; the table has: "
                             f"{', '.join(types)} (see `zonewatch case types`)")
        frame = opened.read("cases", query=Query(filters=filters))
    rows = [_listed(r, now) for r in frame.to_dict("records")]
    rows = [r for r in rows if r["overdue"] or not overdue]
    rows.sort(key=lambda r: (str(r.get("reported_at") or ""), str(r["id"])), reverse=True)
    if as_json:
        _json(rows)
        return
    _print_cases(rows, types, now=now, lang="en" if english else "zh")


def _listed(row: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Return a case as ``--json`` gives it: stored fields, lon/lat, whether overdue."""
    point = row.get("geometry")
    fields = {k: (None if _blank(v) else v) for k, v in row.items() if k != "geometry"}
    deadline = parse_time(fields.get("deadline"))
    fields["overdue"] = bool(fields.get("status") in _OPEN and deadline and now > deadline)
    fields["lon"], fields["lat"] = (point.x, point.y) if point is not None else (None, None)
    return fields


_OPEN = frozenset(CASE_STATUSES) - {"closed", "rejected"}
#: The header of the column saying how each case stands against its deadline.
STANDING = {"zh": "办理时效", "en": "Against the deadline"}
CASE_WORD = {"zh": "案件", "en": "Case"}


#: Columns of ``case list``; a terminal narrower than WIDE_COLUMNS_AT shows the first set.
LIST_COLUMNS = {
    "narrow": ("id", "event_type", "status", "unit", "reported_at", "standing"),
    "wide": ("id", "event_type", "status", "channel", "grid", "unit", "reported_at",
             "deadline", "rework", "standing"),
}
WIDE_COLUMNS_AT = 150


def _print_cases(rows: list[dict[str, Any]], types: Mapping[str, Any], *, now: dt.datetime,
                 lang: str) -> None:
    w = words(lang)
    keys = LIST_COLUMNS["wide" if out.width >= WIDE_COLUMNS_AT else "narrow"]
    table = _table(*(STANDING[lang] if k == "standing" else w[k] for k in keys),
                   title=w["results"].format(n=len(rows)))
    table.columns[0].no_wrap = True  # an id is copied whole into `case show`
    for r in rows:
        cells = _list_cells(r, types, now=now, lang=lang)
        table.add_row(*(cells[k] for k in keys))
    out.print(table)
    if not rows:
        _say(w["none"])


def _list_cells(r: Mapping[str, Any], types: Mapping[str, Any], *, now: dt.datetime,
                lang: str) -> dict[str, str]:
    w = words(lang)
    return {
        "id": _cell(r["id"]), "event_type": _type_name(types, r.get("event_type"), lang),
        "status": w.get(f"status_{r.get('status')}", _cell(r.get("status"))),
        "channel": w.get(f"channel_{r.get('channel')}", _cell(r.get("channel"))),
        "grid": _cell(r.get("grid")), "unit": _cell(r.get("unit")),
        "reported_at": beijing(r.get("reported_at")), "deadline": beijing(r.get("deadline")),
        "rework": str(r.get("rework") or 0), "standing": _standing(r, now, lang),
    }


def _type_name(types: Mapping[str, Any], code: Any, lang: str) -> str:
    kind = types.get(str(code))
    if kind is None:
        return _cell(code)
    return escape(kind.name_en if lang == "en" else kind.name_zh)


def _standing(row: Mapping[str, Any], now: dt.datetime, lang: str) -> str:
    """How the deadline stands: time left or overdue, or closed on time or late."""
    w = words(lang)
    if row.get("status") == "closed":
        closed, deadline = parse_time(row.get("closed_at")), parse_time(row.get("deadline"))
        if closed and deadline:
            return w["on_time"] if closed <= deadline else w["late"]
        return ""
    if row.get("status") == "rejected":
        return ""
    if not row.get("deadline"):
        return w["no_deadline"]
    return time_left(row["deadline"], now, lang)[0]


# -- case show --------------------------------------------------------------------------------

#: The fields ``case show`` prints, in order (labels from the case pages' words).
SHOWN_FIELDS = ("event_type", "status", "channel", "description", "address", "subdistrict",
                "community", "grid", "source_id", "reported_by", "reported_at", "unit",
                "dispatched_at", "deadline", "closed_at", "rework")
STEP_HEADERS = {"zh": ("时间", "操作", "操作人"), "en": ("When", "Action", "Who")}
_TIMES = frozenset({"reported_at", "dispatched_at", "deadline", "closed_at"})


@case_app.command("show")
@_domain_errors
def case_show(
    case_id: Annotated[str, typer.Argument(help="The case's id, e.g. C-202611-001.")],
    as_json: JsonOpt = False,
    english: EnglishOpt = False,
    store: StoreOpt = None,
) -> None:
    """Show one case and its timeline (who took which step when), in Beijing time."""
    from geo.cases import stored_types, timeline

    with _opened(store) as opened:
        feature = opened.get("cases", case_id)
        steps = timeline(opened, case_id)
        types = stored_types(opened)
    now = dt.datetime.now(dt.UTC)
    record = {"id": feature.id, **feature.properties, "geometry": feature.geometry}
    if as_json:
        _json({"case": _listed(record, now), "timeline": [_step_json(s) for s in steps]})
        return
    lang = "en" if english else "zh"
    _print_case(_listed(record, now), types, now=now, lang=lang)
    _print_timeline(steps, lang=lang)


def _print_case(row: Mapping[str, Any], types: Mapping[str, Any], *, now: dt.datetime,
                lang: str) -> None:
    w = words(lang)
    table = _table("", "", title=f"{CASE_WORD[lang]} {escape(str(row['id']))}")
    table.show_header = False
    for key in SHOWN_FIELDS:
        value = row.get(key)
        if key == "event_type":
            shown = _type_name(types, value, lang)
        elif key in ("status", "channel"):
            shown = w.get(f"{key}_{value}", _cell(value))
        elif key in _TIMES:
            shown = beijing(value)
        else:
            shown = _cell(value)
        table.add_row(w[key], shown)
    table.add_row(STANDING[lang], _standing(row, now, lang))
    if row.get("lon") is not None:
        table.add_row(w["coords"], f"{row['lon']:.7f}, {row['lat']:.7f}")
    if row.get("demo"):
        table.add_row("", w["demo"])
    out.print(table)


def _print_timeline(steps: list[Any], *, lang: str) -> None:
    w = words(lang)
    table = _table(*STEP_HEADERS[lang], w["status"], w["unit"], w["passed_q"], w["notes"],
                   title=w["timeline"])
    for s in steps:
        passed = "" if s.passed is None else w["passed_yes"] if s.passed else w["passed_no"]
        table.add_row(beijing(s.at), w.get(f"action_{s.action}", escape(s.action)),
                      _cell(s.actor), w.get(f"status_{s.status}", escape(s.status)),
                      _cell(s.unit), passed, _cell(s.notes))
    out.print(table)
    if not steps:
        _say(w["no_steps"])


def _step_json(step: Any) -> dict[str, Any]:
    return {"action": step.action, "status": step.status, "actor": step.actor, "at": step.at,
            "notes": step.notes, "unit": step.unit, "passed": step.passed}


# -- case types -------------------------------------------------------------------------------


@case_app.command("types")
@_domain_errors
def case_types(
    load: Annotated[Path | None, typer.Option(
        "--load", help="Replace the table with this CSV or XLSX (code,name_zh,name_en,limit_h "
        "or 代码,名称,英文名,时限).")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the table as CSV or XLSX (by the file's suffix).")] = None,
    english: EnglishOpt = False,
    store: StoreOpt = None,
) -> None:
    """Print the event types and their time limits; write them to a file, or load a new table.

    A loaded table is checked whole: one bad row and nothing is saved (the
    message names the row as the file numbers it).
    """
    from geo.cases import save_types, stored_types

    if load is not None and output is not None:
        raise typer.BadParameter("give --load or -o, not both", param_hint="--load / -o")
    if output is not None:
        _check_output(output)
    table = _read_type_file(load) if load is not None else None
    with _opened(store) as opened:
        if table is not None:
            count = save_types(opened, table, actor="cli")
            _say(f"loaded {count} event type(s) from {load}")
        types, own = stored_types(opened), opened.count("case_types") > 0
    if output is not None:
        _write_type_file(types, output)
        _say(f"wrote {len(types)} event type(s) to {output}")
        return
    _print_types(types, own=own, lang="en" if english else "zh")


def _print_types(types: Mapping[str, Any], *, own: bool, lang: str) -> None:
    if lang == "zh":
        title = "事件类型（本区自定义）" if own else "事件类型（默认）"
    else:
        title = "Event types (the district's own)" if own else "Event types (defaults)"
    table = _table(*TYPE_HEADERS[lang], title=title)
    table.columns[3].justify = "right"
    for t in types.values():
        table.add_row(escape(t.code), escape(t.name_zh), escape(t.name_en), f"{t.limit_h:g}")
    out.print(table)


def _check_output(path: Path) -> None:
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(f"{path}: write the table as .csv or .xlsx")
    if path.is_dir():
        raise InputError(f"{path} is a folder; name the file to write")
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: folder {path.parent} does not exist "
                         "(create it first)")


def _write_type_file(types: Mapping[str, Any], path: Path) -> None:
    from geo.io.cells import csv_text, xlsx_value

    rows = [(t.code, t.name_zh, t.name_en, t.limit_h) for t in types.values()]
    if path.suffix.lower() == ".csv":
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(TYPE_COLUMNS)
        writer.writerows([csv_text(v) for v in r[:3]] + [f"{r[3]:g}"] for r in rows)
        path.write_text("\ufeff" + text.getvalue(), encoding="utf-8")  # BOM: Excel reads UTF-8
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("event_types")
    sheet.append(TYPE_COLUMNS)
    for r in rows:
        sheet.append([xlsx_value(sheet, v) for v in r])
    book.save(path)


def _read_type_file(path: Path) -> dict[str, Any]:
    """Read and check a type table: all rows or none, errors naming the file's own row."""
    from geo.cases import type_table

    numbered = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    if not numbered:
        raise InputError(f"{path.name}: the file holds no table")
    (_, header), body = numbered[0], numbered[1:]
    columns = _type_columns(header, path)
    rows = [{name: (cells[k].strip() if k < len(cells) else "") for k, name in columns.items()}
            for _, cells in body]
    try:
        return type_table(rows)
    except InputError as exc:
        found = _ROW_MESSAGE.match(str(exc))
        if found is None:
            raise InputError(f"{path.name}: {exc}") from None
        line = body[int(found.group(1)) - 1][0]
        raise InputError(f"{path.name}: row {line}: {found.group(2)}; nothing was loaded"
                         ) from None


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    from geo.io.charsets import decode_text
    from geo.io.sheets import csv_rows

    return list(csv_rows(decode_text(path.read_bytes(), name=path.name), path=path))


def _xlsx_rows(path: Path) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise InputError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    try:
        rows = []
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
            cells = ["" if v is None else str(v) for v in values]
            if any(c.strip() for c in cells):
                rows.append((number, cells))
        return rows
    except Exception as exc:  # a sheet broken inside the zip
        raise InputError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    finally:
        book.close()


def _type_columns(header: list[str], path: Path) -> dict[int, str]:
    """Map header positions to type columns (English or Chinese headers)."""
    lookup = {_key(a): name for name, aliases in TYPE_ALIASES.items() for a in aliases}
    columns: dict[int, str] = {}
    for k, cell in enumerate(header):
        name = lookup.get(_key(cell))
        if name is None:
            continue
        if name in columns.values():
            raise InputError(f"{path.name}: two columns give {name} (the second is {cell!r})")
        columns[k] = name
    missing = [n for n in ("code", "name_zh", "limit_h") if n not in columns.values()]
    if missing:
        shown = ", ".join(repr(c) for c in header if c.strip())
        raise InputError(f"{path.name}: the first row needs the columns code, name_zh, limit_h "
                         f"(or 代码, 名称, 时限); missing {', '.join(missing)}; found {shown}")
    return columns


def _key(header: str) -> str:
    text = re.sub(r"\s+", "", header.strip().lower().lstrip("\ufeff"))
    return _UNIT_SUFFIX.sub("", text)


# -- case report ------------------------------------------------------------------------------


class ByChoice(StrEnum):
    """Groupings of the case figures (:data:`geo.cases.figures.BY`)."""

    GRID = "grid"
    COMMUNITY = "community"
    UNIT = "unit"
    TYPE = "type"
    MONTH = "month"


@case_app.command("report")
@_domain_errors
def case_report(
    by: Annotated[ByChoice, typer.Option("--by", help="Grouping of the figures.")] = (
        ByChoice.GRID),
    start: Annotated[str | None, typer.Option(
        "--start", help="First day YYYY-MM-DD (Beijing); default: this month's first (the "
        "last month with cases when this one has none yet).")] = None,
    end: Annotated[str | None, typer.Option(
        "--end", help="Last day YYYY-MM-DD (Beijing), included; default: start's month end.")
    ] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write CSV or XLSX (by the file's suffix) instead of a table.")
    ] = None,
    json_out: JsonOpt = False,
    english: EnglishOpt = False,
    store: StoreOpt = None,
) -> None:
    """Print the case figures of a period, ranked: 结案率, 按期结案率, 返工率, overdue.

    The same figures as GET /reports/cases (definitions in geo.cases.figures):
    cases reported in the period, as they stand now.
    """
    from geo.cases import stored_types
    from geo.cases.figures import (
        case_figures,
        case_period,
        default_month_day,
        figures_dict,
        write_figures_csv,
        write_figures_xlsx,
    )

    if output is not None:
        _check_output(output)
    now = dt.datetime.now(dt.UTC)
    with _opened(store) as opened:
        cases = opened.read("cases")
        today = default_month_day(cases, now.astimezone(BUREAU_TZ).date())
        first, last = case_period(start, end, today=today)
        figures = case_figures(cases, by=by.value, start=first, end=last, now=now,
                               types=stored_types(opened))
    unit, lang = Settings().report_unit.strip(), "en" if english else "zh"
    if json_out:
        _json(figures_dict(figures, unit=unit, lang=lang))
    elif output is None:
        _print_figures(figures, lang=lang)
    elif output.suffix.lower() == ".csv":
        write_figures_csv(figures, output, unit=unit, lang=lang)
    else:
        write_figures_xlsx(figures, output, unit=unit, lang=lang)
    if output is not None:
        _say(f"wrote {len(figures.rows)} group(s) and the total to {output}")


#: The figures a terminal narrower than WIDE_COLUMNS_AT shows (the files keep every one).
_NARROW_FIGURES = ("filed", "closed", "overdue_open", "closure_rate", "on_time_rate",
                   "rework_rate")


def _print_figures(figures: Any, *, lang: str) -> None:
    from geo.cases.figures import (
        FIGURES,
        RATES,
        figure_label,
        figures_frame,
        figures_period,
        figures_title,
    )

    frame = figures_frame(figures, lang=lang)
    keys = FIGURES if out.width >= WIDE_COLUMNS_AT else _NARROW_FIGURES
    shown = [frame.columns[0], frame.columns[1], *(figure_label(k, lang) for k in keys)]
    rates = {figure_label(key, lang) for key in RATES}
    table = _table(*shown, title=f"{figures_title(figures, lang)} · "
                                 f"{figures_period(figures, lang)}")
    for column in table.columns[2:]:
        column.justify, column.no_wrap = "right", True  # numbers never fold; names do
    for row in frame[shown].itertuples(index=False):
        table.add_row(*(escape(_figure_cell(value, name in rates))
                        for name, value in zip(shown, row, strict=True)))
    out.print(table)


def _figure_cell(value: Any, rate: bool) -> str:
    if _blank(value):
        return "—"
    if rate:
        return f"{100 * float(value):.1f}%"
    return f"{value:.1f}" if isinstance(value, float) else str(value)
