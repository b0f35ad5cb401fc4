"""What every ``zonewatch`` command shares: the consoles, ``--store``, errors as one line.

Bad input or data is one ``error:`` line on stderr and exit code 1 (usage
errors are typer's, exit 2); nothing prints a traceback. Commands open an
existing store; only those that fill one (demo, import, serve) may create it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from api.settings import Settings
from geo.errors import ImportRejectedError, ZonewatchError
from geo.store import Store, open_store

__all__ = ["F", "StoreOpt", "domain_errors", "err", "error", "opened", "out", "say"]

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help="A .gpkg path or postgresql:// URL (default: ZONEWATCH_STORE)."),
]


def domain_errors(func: F) -> F:
    """Turn Zonewatch errors and file-system errors into one line on stderr, exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ImportRejectedError as exc:
            error(str(exc))
            for row in exc.rows:
                err.print(f"  row {row.row}: {row.reason}", highlight=False, markup=False)
            raise typer.Exit(1) from None
        except ZonewatchError as exc:
            error(str(exc))
            raise typer.Exit(1) from None
        except OSError as exc:  # a missing folder, no permission, a full disk
            error(_os_message(exc))
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def error(message: str) -> None:
    """Print one ``error:`` line on stderr (the message's brackets are text, not markup)."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


def say(message: str) -> None:
    """Print one line on stdout, unwrapped (file names stay whole), brackets as text."""
    out.print(message, highlight=False, markup=False, soft_wrap=True)


def _os_message(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


@contextmanager
def opened(store_url: str | None, *, create: bool = False) -> Iterator[Store]:
    """Open the store (``ZONEWATCH_STORE`` when None); ``create`` for commands that fill one."""
    settings = Settings() if store_url is None else Settings(store=store_url)
    store = open_store(settings.store, create=create, pg_schema=settings.pg_schema)
    try:
        yield store
    finally:
        store.close()
