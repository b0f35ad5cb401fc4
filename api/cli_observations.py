"""``zonewatch observations ...``: import hourly air-quality readings from CSV or XLSX.

A thin front door over :mod:`geo.air.observations`, attached to the
``zonewatch`` command by :mod:`api.cli`. It follows that module's
conventions (:mod:`api.cli_support`): ``--store``, one ``error:`` line on
stderr and exit code 1 for bad input or data (each rejected row named on
its own line), 2 for usage errors.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from api.cli_support import StoreOpt, domain_errors, opened, say

__all__ = ["observations_app"]

observations_app = typer.Typer(no_args_is_help=True,
                               help="Hourly air-quality readings (观测数据): import them.")


@observations_app.command("import")
@domain_errors
def observations_import(
    file: Annotated[Path, typer.Argument(help="A CSV or XLSX file of hourly readings.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    store: StoreOpt = None,
) -> None:
    """Import readings, every row or none, upserting by station and hour (naive = Beijing time)."""
    from geo.air.observations import import_observations
    from geo.io.readers import check_input_path

    check_input_path(file)  # before the store is opened
    started = time.perf_counter()
    with opened(store) as target:
        report = import_observations(target, file, dry_run=dry_run)
    took_s = time.perf_counter() - started
    verb = "would insert" if dry_run else "inserted"
    say(f"{file.name}: {report.rows} readings at {len(report.stations)} station(s); "
        f"{verb} {report.inserted}, {'would update' if dry_run else 'updated'} "
        f"{report.updated} ({took_s:.1f} s)")
    if report.ignored_columns:
        say(f"ignored columns: {', '.join(report.ignored_columns)}")
    if dry_run:
        say("dry run: nothing written")
