"""The ``zonewatch`` command: a thin front door over :mod:`geo`.

Exit codes: 0 ok, 1 bad input or data (the message says what and where),
2 usage errors (wrong options).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.cli_cases import case_app
from api.cli_observations import observations_app
from api.cli_support import StoreOpt, err, out
from api.cli_support import domain_errors as _domain_errors
from api.cli_support import opened as _opened
from api.cli_support import say as _say
from api.settings import Settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Zonewatch: pollution sources within the radius of air-quality monitoring points.",
)


class WriteModeChoice(StrEnum):
    """How imported rows meet existing features (:func:`geo.writes.write_frame`)."""

    APPEND = "append"
    UPSERT = "upsert"
    REPLACE = "replace"


class FormatChoice(StrEnum):
    """Export formats (:data:`geo.io.writers.EXPORT_FORMATS`; a test keeps the two equal)."""

    GEOJSON = "geojson"
    CSV = "csv"
    GPKG = "gpkg"
    FGB = "fgb"
    KML = "kml"
    SHP = "shp"
    XLSX = "xlsx"


class RoleChoice(StrEnum):
    """Token roles (:data:`geo.tokens.ROLES`)."""

    VIEWER = "viewer"
    EDITOR = "editor"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"


def _check_radius(radius_m: float | None) -> None:
    """Apply the radius rule of the HTTP API (``ZONEWATCH_MAX_RADIUS_M`` included)."""
    from geo.geodesy import check_radius_m

    if radius_m is not None:
        check_radius_m(radius_m, max_m=Settings().max_radius_m, what="--radius-m")


def _check_output(path: Path) -> None:
    """Refuse an output path whose folder is missing: never create folders unasked."""
    from geo.errors import InputError

    if path.is_dir():
        raise InputError(f"{path} is a folder; name the file to write")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"cannot write {path}: folder {folder} does not exist (create it first)")


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """Yield a progress callback drawing a bar on a terminal, else None."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command()
@_domain_errors
def demo(store: StoreOpt = None) -> None:
    """(Re)create the Zhongyuan District demonstration ledger in the store."""
    from geo.demo import load_demo

    with _opened(store, create=True) as opened:
        counts = load_demo(opened)
    summary = ", ".join(f"{layer} {n}" for layer, n in counts.items())
    out.print(f"demo ledger written to {opened.url}: {summary}", highlight=False)


@app.command()
@_domain_errors
def flag(
    store: StoreOpt = None,
    radius_m: Annotated[
        float | None,
        typer.Option("--radius-m", help="Override every station's radius (metres)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write priority sources as GeoJSON.")
    ] = None,
    include_closed: Annotated[bool, typer.Option(
        "--include-closed", help="Also write the re-check list (closed sources inside a radius).",
    )] = False,
) -> None:
    """Flag the sources not closed inside a monitoring point's radius and summarise.

    Closed sources inside a radius are counted apart: the re-check list.
    """
    from geo.errors import InputError
    from geo.io.writers import export_frame
    from geo.priority import flagged_sources, priority_order, summarize_priority

    _check_radius(radius_m)
    if output is not None:
        _check_output(output)
    with _opened(store) as opened:
        if opened.is_empty():
            raise InputError(f"{opened.url} holds no sources or stations; run `zonewatch demo`")
        flagged = flagged_sources(opened, radius_m=radius_m)
    recheck = int(flagged["recheck"].astype(bool).sum())
    _print_priority_table(summarize_priority(flagged), total=len(flagged), recheck=recheck)
    if output is not None:
        hits = priority_order(flagged, include_closed=include_closed)
        count = export_frame(hits, output, fmt="geojson", layer_name="priority")
        what = "priority and re-check" if include_closed else "priority"
        _say(f"wrote {count} {what} sources to {output}")


def _print_priority_table(table: Any, *, total: int, recheck: int) -> None:
    view = Table(title="Priority sources per monitoring point and category")
    view.add_column("station")
    for column in table.columns:
        view.add_column(str(column), justify="right")
    for station, row in table.iterrows():
        view.add_row(str(station), *(str(v) for v in row.tolist()))
    out.print(view)
    flagged = int(table.loc["total", "all"]) if "total" in table.index else 0
    out.print(f"{flagged} of {total} sources are priority targets (not closed, inside a radius);"
              f" {recheck} closed ones inside a radius are on the re-check list", highlight=False)


@app.command(name="import")
@_domain_errors
def import_(
    file: Annotated[Path, typer.Argument(
        help="CSV, XLSX, GeoJSON, GeoPackage, KML or zipped Shapefile (.zip).")],
    layer: Annotated[str, typer.Option("--layer", help="Target layer, e.g. sources.")],
    crs: Annotated[
        str | None,
        typer.Option("--crs", help="Coordinate label: wgs84, cgcs2000, gcj02, bd09, EPSG:n."),
    ] = None,
    mode: Annotated[
        WriteModeChoice, typer.Option("--mode", help="How rows meet existing features.")
    ] = WriteModeChoice.APPEND,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    repair: Annotated[
        bool, typer.Option("--repair", help="Repair invalid polygons instead of rejecting.")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Import a file into a layer: every row or none."""
    from api.case_items import refuse_generic_write
    from geo.io.importer import import_file
    from geo.io.readers import check_input_path

    refuse_generic_write(layer)  # cases change only through the case loop
    check_input_path(file)  # before the store is opened, which may create it
    with _opened(store, create=True) as opened, _progress(f"checking {file.name}") as progress:
        report = import_file(
            opened,
            file,
            layer=layer,
            crs=crs,
            mode=mode.value,
            dry_run=dry_run,
            repair=repair,
            actor="cli",
            progress=progress,
        )
    _print_import_report(report)
    if report.rejected:
        raise typer.Exit(1)


def _print_import_report(report: Any) -> None:
    for note in report.notes:
        out.print(f"note: {note}", highlight=False, markup=False)
    if report.ignored_columns:
        out.print(f"ignored columns: {', '.join(report.ignored_columns)}", highlight=False)
    for row in report.rejected:
        err.print(f"  row {row.row}: {row.reason}", highlight=False, markup=False)
    if report.dry_run:
        out.print(
            f"dry run: {report.accepted} row(s) would be accepted, "
            f"{len(report.rejected)} rejected; nothing written",
            highlight=False,
        )
    elif report.written is not None:
        w = report.written
        out.print(
            f"imported {report.accepted} row(s): {w.inserted} inserted, {w.updated} updated, "
            f"{w.deleted} deleted",
            highlight=False,
        )


@app.command()
@_domain_errors
def export(
    layer: Annotated[str, typer.Option("--layer", help="Layer to export, e.g. sources.")],
    fmt: Annotated[
        FormatChoice, typer.Option("--format", help="File format.")
    ],
    output: Annotated[Path, typer.Option(
        "-o", "--output",
        help="Output file; for shp, x.zip (the set zipped) or x.shp (the set beside it).")],
    priority: Annotated[
        bool, typer.Option("--priority", help="Only priority sources, with derived fields.")
    ] = False,
    radius_m: Annotated[
        float | None, typer.Option("--radius-m", help="Radius override for --priority.")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Export a layer (or the priority targets) for GIS tools and planners."""
    from geo.errors import InputError
    from geo.io.writers import check_shapefile_target, export_frame
    from geo.ledger import get_layer
    from geo.priority import flagged_sources

    get_layer(layer)
    if priority and layer != "sources":
        raise InputError("--priority applies to the sources layer only")
    _check_radius(radius_m)
    _check_output(output)
    if fmt is FormatChoice.SHP:
        check_shapefile_target(output)
    with _opened(store) as opened:
        if priority:
            frame = flagged_sources(opened, radius_m=radius_m, only_priority=True)
        else:
            frame = opened.read(layer)
    with _progress(f"writing {output.name}") as progress:
        count = export_frame(frame, output, fmt=fmt.value, layer_name=layer, progress=progress)
    _say(f"wrote {count} feature(s) of {layer} to {_written(frame, output, fmt.value)}")


def _written(frame: Any, output: Path, fmt: str) -> str:
    """Name what an export wrote: the file, or for a Shapefile the set of files."""
    from geo.io.writers import shapefile_paths

    if fmt != "shp":
        return str(output)
    if output.suffix.lower() == ".zip":
        return f"{output} (a zipped Shapefile set: .shp .shx .dbf .prj .cpg)"
    shps = shapefile_paths(frame, output) if "geometry" in frame else [output]
    if len(shps) == 1:
        return f"{output} (a Shapefile set: {output.stem}.shp .shx .dbf .prj .cpg)"
    names = ", ".join(str(p) for p in shps)
    return (f"{len(shps)} Shapefile sets, one per geometry type: {names} "
            f"(each .shp .shx .dbf .prj .cpg)")


@app.command()
@_domain_errors
def serve(
    store: StoreOpt = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to listen on.")] = None,
) -> None:
    """Serve the HTTP API, maps and exports (an empty store is seeded with the demo)."""
    import uvicorn

    from api.app import create_app

    overrides: dict[str, Any] = {"store": store, "host": host, "port": port}
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    with _opened(settings.store, create=True):
        pass  # a bad store is one line and exit 1 here, not a traceback from the server
    out.print(
        f"Zonewatch serving {settings.store} on http://{settings.host}:{settings.port}/ "
        f"(API docs: /docs)",
        highlight=False,
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


token_app = typer.Typer(no_args_is_help=True, help="API tokens: create, list, revoke.")
app.add_typer(token_app, name="token")


@token_app.command("create")
@_domain_errors
def token_create(
    name: Annotated[str, typer.Option("--name", help="Who holds the token (any language).")],
    role: Annotated[RoleChoice, typer.Option("--role", help="viewer, editor or admin.")],
    store: StoreOpt = None,
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from geo.tokens import issue_token

    with _opened(store) as opened:
        secret, record = issue_token(opened, name=name, role=role.value)
    err.print(f"token {record.id} for {record.name} ({record.role}); shown only now:",
              highlight=False, markup=False)
    print(secret)


@token_app.command("list")
@_domain_errors
def token_list(store: StoreOpt = None) -> None:
    """List tokens: id, name, role, created, revoked (never the tokens themselves)."""
    with _opened(store) as opened:
        records = opened.tokens.records()
    table = Table("id", "name", "role", "created_at", "revoked_at")
    for column in table.columns:  # a narrow terminal or a pipe folds cells, never cuts them
        column.overflow = "fold"
    for r in records:
        table.add_row(str(r.id), r.name, r.role, r.created_at, r.revoked_at or "")
    out.print(table)


@token_app.command("revoke")
@_domain_errors
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see token list).")],
    store: StoreOpt = None,
) -> None:
    """Revoke a token: it stops working at once."""
    with _opened(store) as opened:
        record = opened.tokens.revoke(token_id)
    out.print(f"token {record.id} ({record.name}) revoked at {record.revoked_at}",
              highlight=False, markup=False)


user_app = typer.Typer(no_args_is_help=True,
                       help="Staff accounts for the browser: add, list, disable, passwords.")
app.add_typer(user_app, name="user")
app.add_typer(case_app, name="case")  # api/cli_cases.py: case list, show, types
app.add_typer(observations_app, name="observations")  # api/cli_observations.py: import
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of stdin (for scripts).")]


def _password(from_stdin: bool) -> str:
    """Read the password from stdin's first line, or ask for it twice at the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
@_domain_errors
def user_add(
    username: Annotated[str, typer.Argument(help="The sign-in name (no spaces).")],
    role: Annotated[RoleChoice, typer.Option("--role", help="viewer, editor or admin.")],
    password_stdin: PasswordStdin = False,
    store: StoreOpt = None,
) -> None:
    """Open a staff account (only an argon2 hash of the password is stored)."""
    from geo.accounts import add_account

    password = _password(password_stdin)
    with _opened(store, create=True) as opened:
        record = add_account(opened, username=username, role=role.value, password=password)
    _say(f"account {record.username} ({record.role}) added")


@user_app.command("list")
@_domain_errors
def user_list(store: StoreOpt = None) -> None:
    """List accounts: username, role, created, disabled (never passwords)."""
    with _opened(store) as opened:
        records = opened.accounts.records()
    table = Table("username", "role", "created_at", "disabled_at")
    for column in table.columns:  # a narrow terminal or a pipe folds cells, never cuts them
        column.overflow = "fold"
    for r in records:
        table.add_row(escape(r.username), r.role, r.created_at, r.disabled_at or "")
    out.print(table)


@user_app.command("disable")
@_domain_errors
def user_disable(username: Annotated[str, typer.Argument()], store: StoreOpt = None) -> None:
    """Stop an account signing in and end its sessions at once."""
    from geo.accounts import disable_account

    with _opened(store) as opened:
        record = disable_account(opened, username)
    _say(f"account {record.username} disabled at {record.disabled_at}")


@user_app.command("enable")
@_domain_errors
def user_enable(username: Annotated[str, typer.Argument()], store: StoreOpt = None) -> None:
    """Let a disabled account sign in again."""
    from geo.accounts import enable_account

    with _opened(store) as opened:
        record = enable_account(opened, username)
    _say(f"account {record.username} enabled")


@user_app.command("passwd")
@_domain_errors
def user_passwd(
    username: Annotated[str, typer.Argument()],
    password_stdin: PasswordStdin = False,
    store: StoreOpt = None,
) -> None:
    """Set a new password; the account's open sessions end."""
    from geo.accounts import set_password

    password = _password(password_stdin)
    with _opened(store) as opened:
        record = set_password(opened, username, password)
    _say(f"password of {record.username} changed; its sessions ended")


@user_app.command("role")
@_domain_errors
def user_role(
    username: Annotated[str, typer.Argument()],
    role: Annotated[RoleChoice, typer.Argument(help="viewer, editor or admin.")],
    store: StoreOpt = None,
) -> None:
    """Change an account's role."""
    from geo.accounts import set_role

    with _opened(store) as opened:
        record = set_role(opened, username, role.value)
    _say(f"account {record.username} is now {record.role}")


class ReportBy(StrEnum):
    """Breakdowns of ``zonewatch report`` (geo.reports.BREAKDOWNS)."""

    CATEGORY = "category"
    STATUS = "status"
    COMMUNITY = "community"
    GRID = "grid"
    STATION = "station"


class ReportFormat(StrEnum):
    """Outputs of ``zonewatch report``."""

    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"


@app.command()
@_domain_errors
def report(
    by: Annotated[ReportBy, typer.Option("--by", help="Breakdown of the figures.")] = (
        ReportBy.CATEGORY
    ),
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table (terminal), csv or xlsx.")
    ] = ReportFormat.TABLE,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the csv/xlsx here.")
    ] = None,
    station: Annotated[
        str | None, typer.Option("--station", help="Only sources inside this station's radius.")
    ] = None,
    english: Annotated[
        bool, typer.Option("--english", help="English headers and labels in csv/xlsx.")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Roll up the ledger: counts, purifier coverage, inspection rounds, monthly change.

    The csv and xlsx files carry the reporting unit of ZONEWATCH_REPORT_UNIT,
    like the reports the service serves.
    """
    from api.settings import Settings
    from geo.errors import InputError
    from geo.reports import build_report, write_csv, write_xlsx

    if fmt is ReportFormat.XLSX and output is None:
        raise InputError("--format xlsx needs -o/--output FILE.xlsx")
    if output is not None:
        _check_output(output)
    with _opened(store) as opened:
        built = build_report(opened, by=by.value, station=station)
    if fmt is ReportFormat.TABLE:
        _print_report(built)
        return
    unit, lang = Settings().report_unit.strip(), "en" if english else "zh"
    if output is None:  # csv to stdout, without the BOM meant for spreadsheet programs
        sys.stdout.write(write_csv(built, unit=unit, lang=lang).lstrip("\ufeff"))
        return
    if fmt is ReportFormat.CSV:
        write_csv(built, output, unit=unit, lang=lang)
    else:
        write_xlsx(built, output, unit=unit, lang=lang)
    _say(f"wrote the {by.value} report ({fmt.value}) to {output}")


def _print_report(built: Any) -> None:
    from geo.reports import LABELS, display_value

    for view in built.views:
        table = Table(title=view.title)
        for column in view.frame.columns:
            table.add_column(LABELS.get(column, column), overflow="fold")
        for row in view.frame.itertuples(index=False):
            pairs = zip(view.frame.columns, row, strict=True)
            table.add_row(*(display_value(view, c, v) for c, v in pairs))
        out.print(table)


@app.command(name="map")
@_domain_errors
def map_(
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.")],
    station: Annotated[str | None, typer.Option(help="Only sources near this station.")] = None,
    category: Annotated[str | None, typer.Option(help="Only sources of this category.")] = None,
    priority: Annotated[bool, typer.Option("--priority", help="Only priority sources.")] = False,
    community: Annotated[str | None, typer.Option(help="Only sources of this community.")] = None,
    lang: Annotated[str, typer.Option(help="zh (default) or en.")] = "zh",
    base_url: Annotated[str, typer.Option(help="Prefix of record links in popups.")] = "",
    store: StoreOpt = None,
) -> None:
    """Write the interactive map as an HTML file that opens from disk (assets beside it)."""
    from maps.data import MapFilter
    from maps.files import write_map_file

    _check_output(output)
    flt = MapFilter(station=station, category=category, priority=priority, community=community)
    with _opened(store) as opened:
        count = write_map_file(opened, output, flt=flt, lang=lang, link_base=base_url)
    _say(f"wrote a map of {count} sources to {output}")


def main() -> None:
    """Entry point of the ``zonewatch`` console script."""
    app()
