"""The zonewatch command, run as users run it (a real process) and in-process."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
from typer.testing import CliRunner

from api.cli import app

RUNNER = CliRunner()
HEADER = "id,name,category,lon,lat\n"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "demo.gpkg"
    result = RUNNER.invoke(app, ["demo", "--store", str(path)])
    assert result.exit_code == 0, result.output
    return path


def run(*args, store=None):
    full = list(args) + (["--store", str(store)] if store else [])
    return RUNNER.invoke(app, full)


def test_demo_reports_counts(demo_store):
    result = run("demo", store=demo_store)
    assert result.exit_code == 0
    assert "sources" in result.output and "stations" in result.output


def test_flag_prints_summary_and_writes_geojson(demo_store, tmp_path):
    out = tmp_path / "priority.geojson"
    result = run("flag", "-o", str(out), store=demo_store)
    assert result.exit_code == 0, result.output
    assert "priority targets" in result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    distances = [f["properties"]["distance_m"] for f in doc["features"]]
    assert distances and distances == sorted(distances)
    assert all(d <= 3000 for d in distances)
    assert all(f["properties"]["priority"] for f in doc["features"])


def test_flag_counts_the_recheck_list_apart(demo_store, tmp_path):
    from geo.priority import flagged_sources
    from geo.store import open_store

    store = open_store(str(demo_store))
    try:
        flagged = flagged_sources(store)
    finally:
        store.close()
    active, recheck = int(flagged["priority"].sum()), int(flagged["recheck"].sum())
    plain, both = tmp_path / "p.geojson", tmp_path / "b.geojson"
    result = run("flag", "-o", str(plain), store=demo_store)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"{active} of {len(flagged)} sources are priority targets" in said
    assert f"{recheck} closed ones inside a radius are on the re-check list" in said
    assert run("flag", "--include-closed", "-o", str(both), store=demo_store).exit_code == 0
    targets = json.loads(plain.read_text(encoding="utf-8"))["features"]
    listed = json.loads(both.read_text(encoding="utf-8"))["features"]
    assert len(targets) == active and len(listed) == active + recheck > active
    assert all(f["properties"]["status"] != "closed" for f in targets)
    assert {f["properties"]["status"] for f in listed if f["properties"]["recheck"]} == {"closed"}


def test_flag_radius_override_changes_count(demo_store, tmp_path):
    small, large = tmp_path / "s.geojson", tmp_path / "l.geojson"
    assert run("flag", "--radius-m", "500", "-o", str(small), store=demo_store).exit_code == 0
    assert run("flag", "--radius-m", "5000", "-o", str(large), store=demo_store).exit_code == 0
    n_small = len(json.loads(small.read_text())["features"])
    n_large = len(json.loads(large.read_text())["features"])
    assert 0 < n_small < n_large


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg", "fgb", "kml", "shp", "xlsx"])
def test_export_formats(demo_store, tmp_path, fmt):
    out = tmp_path / f"stations.{fmt if fmt != 'shp' else 'zip'}"
    result = run("export", "--layer", "stations", "--format", fmt, "-o", str(out),
                 store=demo_store)
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


def test_export_priority_gpkg_opens_in_gdal(demo_store, tmp_path):
    out = tmp_path / "priority.gpkg"
    result = run("export", "--layer", "sources", "--priority", "--format", "gpkg", "-o",
                 str(out), store=demo_store)
    assert result.exit_code == 0, result.output
    frame = pyogrio.read_dataframe(out)
    assert len(frame) > 0 and (frame["distance_m"] <= 3000).all()


def test_import_rejects_with_rows_and_exit_1(tmp_path):
    store = tmp_path / "s.gpkg"
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A,ok,bbq,113.6,34.7\nB,bad,spaceship,113.6,34.7\n", encoding="utf-8")
    result = run("import", str(bad), "--layer", "sources", store=store)
    assert result.exit_code == 1
    assert "row 3" in result.output and "spaceship" in result.output  # file line 3
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "A,ok,bbq,113.6,34.7\n", encoding="utf-8")
    dry = run("import", str(good), "--layer", "sources", "--dry-run", store=store)
    assert dry.exit_code == 0 and "nothing written" in dry.output
    real = run("import", str(good), "--layer", "sources", store=store)
    assert real.exit_code == 0 and "1 inserted" in real.output


def test_usage_errors_exit_2(tmp_path):
    assert run("flag", "--radius-m", "abc").exit_code == 2
    assert run("import", "x.csv", "--layer", "sources", "--mode", "merge").exit_code == 2
    assert run("nonsense").exit_code == 2


def test_bad_values_exit_1(tmp_path):
    store = tmp_path / "s.gpkg"
    assert run("flag", "--radius-m", "-5", store=store).exit_code == 1
    unknown = run("export", "--layer", "nope", "--format", "csv", "-o", "x", store=store)
    assert unknown.exit_code == 1
    empty = run("flag", store=store)
    assert empty.exit_code == 1 and "zonewatch demo" in empty.output


def test_console_script_runs_as_a_process(tmp_path):
    exe = Path(sys.executable).with_name("zonewatch")
    env = {**os.environ, "ZONEWATCH_STORE": str(tmp_path / "p.gpkg")}
    bad = tmp_path / "bad.geojson"
    bad.write_text("{oops", encoding="utf-8")
    proc = subprocess.run(
        [str(exe), "import", str(bad), "--layer", "sources"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 1
    assert "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- export -> import round trip (KML ids) --------------------------------------------------


def _copy_store(demo_store: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "copy.gpkg"
    shutil.copy(demo_store, copy)
    return copy


def test_kml_export_then_upsert_updates_and_inserts_nothing(demo_store, tmp_path):
    store = _copy_store(demo_store, tmp_path)
    kml = tmp_path / "rt.kml"
    assert run("export", "--layer", "sources", "--format", "kml", "-o", str(kml),
               store=store).exit_code == 0
    wrote = run("export", "--layer", "sources", "--format", "csv", "-o",
                str(tmp_path / "before.csv"), store=store)
    n = int(wrote.output.split()[1])
    result = run("import", str(kml), "--layer", "sources", "--mode", "upsert", store=store)
    assert result.exit_code == 0, result.output
    assert f"{n} row(s): 0 inserted, {n} updated" in result.output
    again = run("export", "--layer", "sources", "--format", "csv", "-o",
                str(tmp_path / "after.csv"), store=store)
    assert again.output.split()[1] == str(n)


# -- Shapefile outputs ----------------------------------------------------------------------


def test_export_shp_to_a_shp_path_writes_the_set_beside_it(demo_store, tmp_path):
    out = tmp_path / "stations.shp"
    result = run("export", "--layer", "stations", "--format", "shp", "-o", str(out),
                 store=demo_store)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "stations.cpg", "stations.dbf", "stations.prj", "stations.shp", "stations.shx"]
    assert "Shapefile set" in result.output
    assert pyogrio.read_info(out)["geometry_type"] == "Point"
    assert len(pyogrio.read_dataframe(out)) > 0


def test_export_mixed_sources_to_shp_names_every_set(demo_store, tmp_path):
    result = run("export", "--layer", "sources", "--format", "shp", "-o",
                 str(tmp_path / "src.shp"), store=demo_store)
    assert result.exit_code == 0, result.output
    shps = sorted(p.name for p in tmp_path.glob("*.shp"))
    assert shps == ["src_linestring.shp", "src_point.shp", "src_polygon.shp"]
    flat = " ".join(result.output.split())
    assert all(name in flat for name in shps)


def test_export_shp_to_another_suffix_is_refused(demo_store, tmp_path):
    result = run("export", "--layer", "stations", "--format", "shp", "-o",
                 str(tmp_path / "out.dat"), store=demo_store)
    assert result.exit_code == 1 and ".zip" in result.output
    assert list(tmp_path.iterdir()) == []


def test_export_xlsx_keeps_formula_like_names_as_text(tmp_path):
    import openpyxl

    store = tmp_path / "s.gpkg"
    csv_in = tmp_path / "in.csv"
    csv_in.write_text(HEADER + '''H1,"=HYPERLINK(""http://evil.example/"",""点我"")",bbq,'''
                      "113.6,34.7\n", encoding="utf-8")
    assert run("import", str(csv_in), "--layer", "sources", store=store).exit_code == 0
    out = tmp_path / "out.xlsx"
    assert run("export", "--layer", "sources", "--format", "xlsx", "-o", str(out),
               store=store).exit_code == 0
    sheet = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in sheet[1]]
    name = sheet[2][header.index("name")]
    assert (name.value, name.data_type) == ('=HYPERLINK("http://evil.example/","点我")', "s")


# -- outputs and stores that are not there ----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["export", "--layer", "sources", "--format", "csv"], ["flag"], ["map"],
     ["report", "--format", "csv"]],
    ids=["export", "flag", "map", "report"],
)
def test_output_into_a_missing_folder_is_one_line_and_creates_nothing(demo_store, tmp_path,
                                                                      args):
    missing = tmp_path / "missing" / "dir"
    result = run(*args, "-o", str(missing / "x.out"), store=demo_store)
    assert result.exit_code == 1
    assert "does not exist" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "missing").exists()


def test_file_system_errors_are_one_line(demo_store, tmp_path):
    out = tmp_path / ("x" * 300 + ".csv")  # longer than any file system allows
    result = run("export", "--layer", "stations", "--format", "csv", "-o", str(out),
                 store=demo_store)
    assert result.exit_code == 1
    assert "File name too long" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args", [["flag"], ["report"], ["token", "list"], ["export", "--layer", "sources",
                                                       "--format", "csv", "-o", "x.csv"]],
    ids=["flag", "report", "token-list", "export"],
)
def test_a_missing_store_is_not_created(tmp_path, args):
    typo = tmp_path / "typo.gpkg"
    result = run(*args, store=typo)
    assert result.exit_code == 1
    assert "no store at" in result.output
    assert not typo.exists()


def _their_geopackage(tmp_path: Path) -> Path:
    import geopandas as gpd
    from shapely import Point

    theirs = tmp_path / "theirs.gpkg"
    frame = gpd.GeoDataFrame({"name": ["店"], "category": ["bbq"]},
                             geometry=[Point(113.6, 34.7)], crs="EPSG:4326")
    pyogrio.write_dataframe(frame, theirs, layer="sources", driver="GPKG")
    return theirs


@pytest.mark.parametrize(
    "args", [["flag"], ["demo"], ["token", "list"], ["import", "IN", "--layer", "sources"]],
    ids=["flag", "demo", "token-list", "import"],
)
def test_someone_elses_geopackage_is_never_written(tmp_path, args):
    import hashlib

    theirs = _their_geopackage(tmp_path)
    before = hashlib.sha256(theirs.read_bytes()).hexdigest()
    good = tmp_path / "in.csv"
    good.write_text(HEADER + "A,ok,bbq,113.6,34.7\n", encoding="utf-8")
    result = run(*[str(good) if a == "IN" else a for a in args], store=theirs)
    assert result.exit_code == 1
    assert "not a Zonewatch store" in result.output and "theirs.gpkg" in result.output
    assert hashlib.sha256(theirs.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "theirs.gpkg"]


def test_their_geopackage_imports_into_a_new_store(tmp_path):
    theirs = _their_geopackage(tmp_path)
    result = run("import", str(theirs), "--layer", "sources", store=tmp_path / "new.gpkg")
    assert result.exit_code == 0, result.output
    assert "1 inserted" in result.output


def test_a_failed_import_creates_no_store(tmp_path):
    store = tmp_path / "new.gpkg"
    result = run("import", str(tmp_path / "nope.csv"), "--layer", "sources", store=store)
    assert result.exit_code == 1 and "no such file" in result.output
    folder = run("import", str(tmp_path), "--layer", "sources", store=store)
    assert folder.exit_code == 1 and "is a folder" in folder.output
    assert not store.exists()


def test_import_names_a_bad_coordinate_row_once(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A,ok,bbq,113.6,34.7\nB,bad,bbq,113.6,95\n", encoding="utf-8")
    result = run("import", str(bad), "--layer", "sources", store=tmp_path / "s.gpkg")
    assert result.exit_code == 1
    assert "row 3: row 3" not in result.output
    assert "row 3: latitude" in result.output


@pytest.mark.parametrize("command", [["flag"], ["export", "--layer", "sources", "--priority",
                                              "--format", "csv", "-o", "out.csv"]],
                         ids=["flag", "export"])
def test_the_radius_limit_is_the_one_http_applies(demo_store, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    too_far = run(*command, "--radius-m", "1e9", store=demo_store)
    assert too_far.exit_code == 1
    assert "--radius-m 1000000000.0 is above the maximum of 50000 metres" in too_far.output
    assert not (tmp_path / "out.csv").exists()
    monkeypatch.setenv("ZONEWATCH_MAX_RADIUS_M", "2e9")  # the setting the service reads too
    assert run(*command, "--radius-m", "1e9", store=demo_store).exit_code == 0


def test_the_cli_choices_are_the_domains_own():
    from typing import get_args

    from api.cli import FormatChoice, RoleChoice, WriteModeChoice
    from geo.io.writers import EXPORT_FORMATS
    from geo.store.base import WriteMode
    from geo.tokens import ROLES

    assert [c.value for c in FormatChoice] == list(EXPORT_FORMATS)
    assert tuple(c.value for c in WriteModeChoice) == get_args(WriteMode)
    assert tuple(c.value for c in RoleChoice) == ROLES


@pytest.mark.parametrize(("flags", "unit_header", "first_header"),
                         [([], "填报单位", "类别"), (["--english"], "Reporting unit", "Category")],
                         ids=["zh", "en"])
def test_report_files_carry_the_reporting_unit(demo_store, tmp_path, monkeypatch, flags,
                                               unit_header, first_header):
    monkeypatch.setenv("ZONEWATCH_REPORT_UNIT", "中原区城市管理行政执法局")
    result = run("report", "--format", "csv", *flags, store=demo_store)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][0] == first_header and rows[0][-2] == unit_header
    assert {row[-2] for row in rows[1:]} == {"中原区城市管理行政执法局"}
