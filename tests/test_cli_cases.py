"""``zonewatch case list/show/types`` run in-process on both stores.

Four cases are put in the store through :mod:`geo.cases.records` with times
relative to now (one closed on time, one overdue, one open within its
deadline, one rejected); the commands are checked against them, and a loaded
type table against what the store then keeps.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from shapely.geometry import Point, box
from typer.testing import CliRunner, Result

from api.cli import app
from api.cli_cases import StatusChoice
from geo import writes
from geo.cases import DEFAULT_TYPES, EventType, act_on_case, report_case, stored_types
from geo.io.cells import xlsx_value
from geo.ledger import CASE_STATUSES, Feature
from geo.store import Store, open_store

RUNNER = CliRunner()
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DEFAULTS = {t.code: t for t in DEFAULT_TYPES}


@dataclass
class Ledger:
    """A store holding the four cases, and how the CLI reaches it."""

    store: Store
    url: str
    env: dict[str, str]

    def run(self, *args: str) -> Result:
        # wide enough for every column of `case list`, on one line each
        return RUNNER.invoke(app, [*args, "--store", self.url], env={**self.env,
                                                                      "COLUMNS": "220"})

    def types(self) -> tuple[dict[str, EventType], int]:
        """The event types and the rows of ``case_types``, read as a new process would."""
        opened = self._open()
        try:
            return stored_types(opened), opened.count("case_types")
        finally:
            opened.close()

    def case(self, fid: str) -> dict[str, Any]:
        opened = self._open()
        try:
            return opened.get("cases", fid).properties
        finally:
            opened.close()

    def _open(self) -> Store:
        return open_store(self.url, create=False, pg_schema=self.env["ZONEWATCH_PG_SCHEMA"])


def _walk(store: Store, fid: str, start: dt.datetime, *steps: tuple[str, dict]) -> None:
    for k, (action, kwargs) in enumerate(steps, start=1):
        act_on_case(store, fid, action, actor="中心", role="admin",
                    at=start + dt.timedelta(minutes=10 * k), **kwargs)


def _fill(store: Store) -> None:
    cells = (("G-1", "网格一", "林山寨街道", box(113.62, 34.74, 113.63, 34.75)),
             ("G-2", "网格二", "建设路街道", box(113.63, 34.74, 113.64, 34.75)))
    for gid, name, sub, cell in cells:
        writes.create(store, "grids", Feature(gid, {"name": name, "subdistrict": sub,
                                                    "community": f"{sub}社区"}, cell), actor="t")
    here, there = Point(113.625, 34.745), Point(113.635, 34.745)
    t_a, t_b = NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=2)
    t_c = NOW - dt.timedelta(hours=1)
    report_case(store, id="C-A", event_type="open_air_bbq", point=here, actor="巡查员甲", at=t_a,
                channel="patrol", description="<b>夜间烧烤</b>")
    _walk(store, "C-A", t_a, ("file", {}), ("dispatch", {"unit": "林山寨中队"}),
          ("handle", {"notes": "已取缔"}), ("verify", {"passed": True}), ("close", {}))
    report_case(store, id="C-B", event_type="fume_direct", point=there, actor="热线", at=t_b,
                channel="hotline")
    _walk(store, "C-B", t_b, ("file", {}), ("dispatch", {"unit": "建设路中队"}))
    report_case(store, id="C-C", event_type="site_dust", point=here, actor="巡查员甲", at=t_c,
                channel="inspection")
    _walk(store, "C-C", t_c, ("file", {}), ("dispatch", {"unit": "林山寨中队"}))
    report_case(store, id="C-D", event_type="other", point=there, actor="市民", at=t_c,
                channel="public")
    _walk(store, "C-D", t_c, ("reject", {"notes": "重复上报"}))


@pytest.fixture
def ledger(store: Store) -> Ledger:
    _fill(store)
    return Ledger(store, store.url, {"ZONEWATCH_PG_SCHEMA": getattr(store, "schema", "zonewatch")})


def _rows(result: Result) -> dict[str, list[str]]:
    """The body rows of a table on stdout, keyed by their first cell."""
    assert result.exit_code == 0, result.output
    rows = {}
    for line in result.stdout.splitlines():
        if line.startswith("│"):  # a body row (the header row is drawn with ┃)
            cells = [cell.strip() for cell in line.split("│")[1:-1]]
            rows[cells[0]] = cells[1:]
    return rows


def _beijing(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")


# -- case list ----------------------------------------------------------------------------------


def test_list_shows_every_case_newest_first_in_chinese(ledger: Ledger) -> None:
    result = ledger.run("case", "list")
    rows = _rows(result)
    assert list(rows) == ["C-D", "C-C", "C-B", "C-A"]  # C-C and C-D came in together
    assert all(w in result.stdout for w in ("案件编号", "办理时效", "共 4 件"))
    a, b = rows["C-A"], rows["C-B"]
    assert a[:5] == ["露天烧烤", "结案", "巡查发现", "网格一", "林山寨中队"]
    assert a[5] == _beijing(NOW - dt.timedelta(days=3)) and a[-1] == "按期结案"
    assert b[1] == "派遣" and b[-1].startswith("超期 ")
    assert rows["C-C"][-1].startswith("剩余 ") and rows["C-D"][1] == "不予立案"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [(["--overdue"], {"C-B"}),
     (["--status", "dispatched"], {"C-B", "C-C"}),
     (["--grid", "网格二"], {"C-B", "C-D"}),
     (["--unit", "林山寨中队"], {"C-A", "C-C"}),
     (["--type", "site_dust"], {"C-C"}),
     (["--status", "closed", "--grid", "网格二"], set())],
    ids=["overdue", "status", "grid", "unit", "type", "none"],
)
def test_list_filters(ledger: Ledger, flags: list[str], expected: set[str]) -> None:
    result = ledger.run("case", "list", *flags)
    assert set(_rows(result)) == expected
    if not expected:
        assert "没有符合条件的案件" in result.stdout


def test_list_json_gives_the_stored_fields_and_overdue(ledger: Ledger) -> None:
    result = ledger.run("case", "list", "--json")
    assert result.exit_code == 0, result.output
    cases = {c["id"]: c for c in json.loads(result.stdout)}
    assert set(cases) == {"C-A", "C-B", "C-C", "C-D"}
    assert [cases[k]["overdue"] for k in ("C-A", "C-B", "C-C", "C-D")] == [False, True, False,
                                                                          False]
    b = cases["C-B"]
    stored = ledger.case("C-B")
    assert b["deadline"] == stored["deadline"] and b["deadline"].endswith("Z")
    assert (b["lon"], b["lat"]) == (113.635, 34.745) and b["unit"] == "建设路中队"
    assert cases["C-A"]["description"] == "<b>夜间烧烤</b>"  # as stored, not escaped


def test_list_in_english(ledger: Ledger) -> None:
    rows = _rows(ledger.run("case", "list", "--english", "--status", "closed"))
    assert rows["C-A"][:3] == ["Open-air barbecue", "closed", "patrol"]
    assert rows["C-A"][-1] == "closed on time"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [(["--type", "noise"], 1, "'noise' is not an event type"),
     (["--status", "lost"], 2, "lost")],
    ids=["unknown-type", "unknown-status"],
)
def test_list_refuses_bad_filters(ledger: Ledger, args: list[str], code: int,
                                  message: str) -> None:
    result = ledger.run("case", "list", *args)
    assert result.exit_code == code and message in result.output
    assert "Traceback" not in result.output


def test_the_status_choices_are_the_ledgers() -> None:
    assert tuple(c.value for c in StatusChoice) == CASE_STATUSES


# -- case show ----------------------------------------------------------------------------------


def test_show_prints_the_case_and_its_timeline_in_beijing_time(ledger: Ledger) -> None:
    result = ledger.run("case", "show", "C-A")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "案件 C-A" in out and "<b>夜间烧烤</b>" in out and "按期结案" in out
    start = NOW - dt.timedelta(days=3)
    timeline = out[out.index("办理过程"):]
    actions = [r[0] for r in _rows_after(timeline).values()]
    assert actions == ["上报", "立案", "派遣", "处置", "核查", "结案"]
    times = list(_rows_after(timeline))
    assert times == [_beijing(start + dt.timedelta(minutes=10 * k)) for k in range(6)]
    assert "已取缔" in timeline and "通过" in timeline and "林山寨中队" in timeline


def _rows_after(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.split("│")[1:-1]]
            rows[cells[0]] = cells[1:]
    return rows


def test_show_json_has_the_timeline(ledger: Ledger) -> None:
    result = ledger.run("case", "show", "C-D", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["case"]["status"] == "rejected" and doc["case"]["overdue"] is False
    assert [s["action"] for s in doc["timeline"]] == ["report", "reject"]
    assert doc["timeline"][1]["notes"] == "重复上报"
    assert doc["timeline"][0]["at"] == (NOW - dt.timedelta(hours=1)).isoformat().replace(
        "+00:00", "Z")


def test_show_an_unknown_case_is_one_line_and_exit_1(ledger: Ledger) -> None:
    result = ledger.run("case", "show", "C-ZZZ")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "C-ZZZ" in lines[0]


# -- case types ---------------------------------------------------------------------------------


def test_types_prints_the_default_table(ledger: Ledger) -> None:
    result = ledger.run("case", "types")
    rows = _rows(result)
    assert "（默认）" in result.stdout and "时限（小时）" in result.stdout
    assert rows == {t.code: [t.name_zh, t.name_en, f"{t.limit_h:g}"] for t in DEFAULT_TYPES}


def test_types_writes_the_contract_columns(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "types.csv"
    result = ledger.run("case", "types", "-o", str(path))
    assert result.exit_code == 0, result.output
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "code,name_zh,name_en,limit_h"
    assert lines[1] == "open_air_bbq,露天烧烤,Open-air barbecue,2"
    assert len(lines) == 1 + len(DEFAULT_TYPES)


def _chinese_table(path: Path, *rows: str) -> Path:
    path.write_text("代码,名称,英文名,时限（小时）\n" + "".join(f"{r}\n" for r in rows),
                    encoding="utf-8")
    return path


KEPT = ("open_air_bbq,露天烧烤,Barbecue,1.5", "fume_direct,油烟直排,,24",
        "muck_spill,渣土撒漏,,4", "site_dust,工地扬尘,,6.5", "other,其他,,48")


def test_load_with_chinese_headers_replaces_the_table(ledger: Ledger, tmp_path: Path) -> None:
    path = _chinese_table(tmp_path / "t.csv", *KEPT, "noise,施工噪声,Noise,12")
    result = ledger.run("case", "types", "--load", str(path))
    assert result.exit_code == 0, result.output
    assert "loaded 6 event type(s)" in result.stdout
    types, _ = ledger.types()
    assert types["open_air_bbq"].limit_h == 1.5 and types["open_air_bbq"].name_en == "Barbecue"
    assert types["noise"].name_zh == "施工噪声" and types["site_dust"].limit_h == 6.5
    listed = _rows(ledger.run("case", "types"))
    assert listed["noise"] == ["施工噪声", "Noise", "12"]


def test_an_xlsx_written_by_types_loads_back(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "types.xlsx"
    assert ledger.run("case", "types", "-o", str(path)).exit_code == 0
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book.active
    sheet.append(["noise", xlsx_value(sheet, "=施工噪声"), None, 12.5])  # text, not a formula
    book.save(path)
    result = ledger.run("case", "types", "--load", str(path))
    assert result.exit_code == 0, result.output
    types, _ = ledger.types()
    assert types["noise"].name_zh == "=施工噪声" and types["noise"].limit_h == 12.5
    assert {k: types[k] for k in DEFAULTS} == DEFAULTS


@pytest.mark.parametrize(
    ("rows", "message"),
    [((*KEPT[:3], "site_dust,工地扬尘,,soon", KEPT[4]), "row 5: limit_h must be a number"),
     ((*KEPT, "other,其他,,12"), "row 7: event type 'other' is given twice"),
     ((*KEPT[:2], "Muck Spill,渣土撒漏,,4", *KEPT[3:]), "row 4: code must be"),
     ((*KEPT, "noise,,Noise,12"), "row 7: name_zh"),
     ((*KEPT[:4], "other,其他,,0"), "row 6: limit_h must be more than 0")],
    ids=["not-a-number", "twice", "bad-code", "no-name", "zero-limit"],
)
def test_a_bad_row_saves_nothing_and_names_the_row(ledger: Ledger, tmp_path: Path,
                                                   rows: tuple[str, ...], message: str) -> None:
    path = _chinese_table(tmp_path / "bad.csv", *rows)
    result = ledger.run("case", "types", "--load", str(path))
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: bad.csv: ") and message in lines[0]
    assert ledger.types() == (DEFAULTS, 0)


def test_a_blank_line_in_the_csv_keeps_the_row_numbers_true(ledger: Ledger,
                                                            tmp_path: Path) -> None:
    path = _chinese_table(tmp_path / "gap.csv", KEPT[0], "", "", "fume_direct,油烟直排,,x")
    result = ledger.run("case", "types", "--load", str(path))
    assert result.exit_code == 1 and "gap.csv: row 5:" in result.stderr


@pytest.mark.parametrize(
    ("header", "message"),
    [("code,name_zh", "missing limit_h"),
     ("代码,code,名称,时限", "two columns give code")],
    ids=["missing", "twice"],
)
def test_a_bad_header_is_refused(ledger: Ledger, tmp_path: Path, header: str,
                                 message: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(f"{header}\nx,y,z,1\n", encoding="utf-8")
    result = ledger.run("case", "types", "--load", str(path))
    assert result.exit_code == 1 and message in result.stderr


def test_load_refuses_to_drop_a_type_that_cases_use(ledger: Ledger, tmp_path: Path) -> None:
    path = _chinese_table(tmp_path / "few.csv", *KEPT[:4])  # no "other": C-D is of it
    result = ledger.run("case", "types", "--load", str(path))
    assert result.exit_code == 1 and "other (1)" in result.stderr
    assert ledger.types() == (DEFAULTS, 0)


def test_an_xlsx_with_english_headers_loads(ledger: Ledger, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name_zh", "name_en", "limit_h"])
    for row in KEPT:
        code, zh, en, limit = row.split(",")
        sheet.append([code, zh, en or None, float(limit)])
    path = tmp_path / "t.xlsx"
    book.save(path)
    assert ledger.run("case", "types", "--load", str(path)).exit_code == 0
    assert ledger.types()[0]["site_dust"].limit_h == 6.5


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--load", "a.csv", "-o", "b.csv"], 2), (["-o", "types.txt"], 1),
     (["-o", "missing/types.csv"], 1), (["--load", "nothere.csv"], 1)],
    ids=["both", "suffix", "folder", "no-file"],
)
def test_types_refuses_bad_options(ledger: Ledger, tmp_path: Path, monkeypatch,
                                   args: list[str], code: int) -> None:
    monkeypatch.chdir(tmp_path)
    result = ledger.run("case", "types", *args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and not (tmp_path / "types.txt").exists()


def test_a_missing_store_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.gpkg"
    result = RUNNER.invoke(app, ["case", "list", "--store", str(path)])
    assert result.exit_code == 1 and not path.exists()


def test_the_demo_month_lists_and_shows(tmp_path: Path) -> None:
    path = str(tmp_path / "demo.gpkg")
    assert RUNNER.invoke(app, ["demo", "--store", path]).exit_code == 0
    listed = RUNNER.invoke(app, ["case", "list", "--json", "--store", path])
    cases = json.loads(listed.stdout)
    assert len(cases) == 120 and all(c["demo"] for c in cases)
    now = dt.datetime.now(dt.UTC)
    late = {c["id"] for c in cases if c["status"] not in ("closed", "rejected")
            and c["deadline"] and dt.datetime.fromisoformat(c["deadline"]) < now}
    overdue = RUNNER.invoke(app, ["case", "list", "--overdue", "--json", "--store", path])
    assert {c["id"] for c in json.loads(overdue.stdout)} == late and len(late) >= 3
    shown = RUNNER.invoke(app, ["case", "show", "C-202611-001", "--store", path],
                          env={"COLUMNS": "220"})
    steps = _rows_after(shown.stdout[shown.stdout.index("办理过程"):])
    assert [r[0] for r in steps.values()] == ["上报", "立案", "派遣", "处置", "核查", "结案"]


# -- case report --------------------------------------------------------------------------------


def _period() -> list[str]:
    today = NOW.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    return ["--start", (today - dt.timedelta(days=7)).isoformat(), "--end", today.isoformat()]


def test_report_json_gives_the_figures_of_the_four_cases(ledger: Ledger) -> None:
    result = ledger.run("case", "report", "--by", "unit", "--json", *_period())
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    total = doc["total"]
    assert {k: total[k] for k in ("reported", "filed", "rejected", "closed", "closed_on_time",
                                  "rework", "overdue_open")} == {
        "reported": 4, "filed": 3, "rejected": 1, "closed": 1, "closed_on_time": 1,
        "rework": 0, "overdue_open": 1}
    assert total["closure_rate"] == pytest.approx(1 / 3) and total["on_time_rate"] == 1.0
    units = {row["group"]: (row["filed"], row["closed"], row["overdue_open"], row["rank"])
             for row in doc["rows"]}
    assert units == {"林山寨中队": (2, 1, 0, 1), "建设路中队": (1, 0, 1, 2), None: (0, 0, 0, 3)}


def test_report_table_and_files_carry_the_same_numbers(ledger: Ledger, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    rows = _rows(ledger.run("case", "report", "--by", "grid", *_period()))
    assert rows["—"][:3] == ["合计", "4", "3"]  # rank, name, reported, filed ... (wide: all)
    assert rows["—"][-3:] == ["33.3%", "100.0%", "0.0%"]
    target = tmp_path / "figures.xlsx"
    assert ledger.run("case", "report", "--by", "grid", "-o", str(target),
                      *_period()).exit_code == 0
    sheet = load_workbook(target).active
    header = [c.value for c in sheet[1]]
    last = [c.value for c in sheet[sheet.max_row]]
    assert header[:4] == ["排名", "网格", "上报数", "立案数"]
    assert last[1:4] == ["合计", 4, 3] and last[header.index("结案率")] == pytest.approx(1 / 3)


def test_report_refuses_a_bad_period(ledger: Ledger) -> None:
    result = ledger.run("case", "report", "--start", "2026-02-30")
    assert result.exit_code == 1 and "start" in result.stderr
