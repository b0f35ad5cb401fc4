"""Zonewatch's exception tree.

Every error the domain raises derives from :class:`ZonewatchError`; callers
(the HTTP API, the CLI) map each class to a status or an exit code and never
need to look inside the message::

    ZonewatchError
    ├── InputError                 bad input from a user or a file
    │   ├── CoordinateError        NaN, out of range, swapped, unknown label
    │   ├── ValidationError        a field or geometry breaks the ledger model
    │   └── ImportRejectedError    a file with rejected rows (nothing written)
    ├── NotFoundError              no such layer or feature
    ├── ConflictError              the write collides with the stored state
    │   ├── DuplicateIdError       the id is taken
    │   ├── DeletedIdError         the id belonged to a deleted feature (kept in history)
    │   └── VersionMismatchError   the caller's version is stale
    ├── NotPermittedError          the caller's role may not do this
    ├── SignInRefusedError         wrong username or password, or locked for now
    └── StoreError                 the backing store failed or is unreachable
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConflictError",
    "CoordinateError",
    "DeletedIdError",
    "DuplicateIdError",
    "ImportRejectedError",
    "InputError",
    "NotFoundError",
    "NotPermittedError",
    "RowError",
    "SignInRefusedError",
    "StoreError",
    "ValidationError",
    "VersionMismatchError",
    "ZonewatchError",
]


class ZonewatchError(Exception):
    """Root of every error Zonewatch raises on purpose."""


class InputError(ZonewatchError, ValueError):
    """Input from a user or a file is unusable; the message says why."""


class CoordinateError(InputError):
    """A coordinate or coordinate label is unusable."""


class ValidationError(InputError):
    """A record breaks the ledger model.

    Parameters
    ----------
    message : str
        What is wrong, naming the value and what was expected.
    field : str, optional
        The offending field (``"geometry"`` for geometry problems).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RowError:
    """One rejected row of an import: 1-based ``row`` number and ``reason``."""

    row: int
    reason: str


class ImportRejectedError(InputError):
    """An import was refused because some rows are bad; nothing was written."""

    def __init__(self, rows: list[RowError], *, accepted: int = 0) -> None:
        self.rows = rows
        self.accepted = accepted
        first = rows[0] if rows else None
        detail = f"; first: row {first.row}: {first.reason}" if first else ""
        super().__init__(f"{len(rows)} row(s) rejected, nothing imported{detail}")


class NotFoundError(ZonewatchError, LookupError):
    """The layer or feature does not exist."""


class ConflictError(ZonewatchError):
    """The write collides with the stored state."""


class DuplicateIdError(ConflictError):
    """A feature with this id already exists."""


class DeletedIdError(ConflictError):
    """The id belonged to a deleted feature whose history is kept.

    Creating a new, unrelated feature under it would attach the old feature's
    history (and, for a source, its inspections) to the new one; restoring the
    same feature is an upsert or replace import.
    """


class VersionMismatchError(ConflictError):
    """The caller's version of a feature is not the stored one."""

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class NotPermittedError(ZonewatchError, PermissionError):
    """The caller's role may not take this action (a viewer dispatching a case, say)."""


class SignInRefusedError(ZonewatchError):
    """A sign-in was refused.

    Parameters
    ----------
    reason : {"invalid", "locked"}
        ``invalid``: the username or password is wrong (which one is not
        said); ``locked``: too many recent failures for the account or the
        address.
    retry_after_s : int, optional
        For ``locked``, the most seconds to wait before sign-in is counted again
        (the lock window: the failures that locked it are at most that old).
    """

    def __init__(self, reason: str, *, retry_after_s: int | None = None) -> None:
        super().__init__("sign-in locked for now" if reason == "locked"
                         else "wrong username or password")
        self.reason = reason
        self.retry_after_s = retry_after_s


class StoreError(ZonewatchError):
    """The backing store failed or cannot be reached."""
