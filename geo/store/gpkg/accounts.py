"""Staff accounts in the GeoPackage: ``zw_accounts``, ``zw_signin_failures``, ``zw_sessions``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from geo.errors import DuplicateIdError, NotFoundError
from geo.ledger import now_utc
from geo.store.base import AccountRecord, SessionRecord

__all__ = ["GeoPackageAccounts"]

_ACCOUNT = "SELECT id, username, role, password_hash, created_at, disabled_at FROM zw_accounts"
_SESSION = "SELECT session_hash, account_id, csrf, created_at, seen_at FROM zw_sessions"
Connect = Callable[..., AbstractContextManager[sqlite3.Connection]]


class GeoPackageAccounts:
    """The :class:`geo.store.base.AccountBook` of a GeoPackage store.

    Parameters
    ----------
    transaction : callable
        The store's ``_tx(write_lock=...)``: one SQLite transaction per call.
    """

    def __init__(self, transaction: Connect) -> None:
        self._tx = transaction

    def add(self, *, username: str, role: str, password_hash: str) -> AccountRecord:
        """Store a new account; DuplicateIdError when the username is taken."""
        with self._tx(write_lock=True) as conn:
            if conn.execute("SELECT 1 FROM zw_accounts WHERE username = ?",
                            (username,)).fetchone():
                raise DuplicateIdError(f"an account named {username!r} exists")
            cursor = conn.execute(
                "INSERT INTO zw_accounts (username, role, password_hash, created_at) "
                "VALUES (?, ?, ?, ?)", (username, role, password_hash, now_utc()))
            row = conn.execute(_ACCOUNT + " WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _account(row)

    def _one(self, where: str, value: object) -> AccountRecord | None:
        with self._tx(write_lock=False) as conn:
            row = conn.execute(_ACCOUNT + where, (value,)).fetchone()
        return None if row is None else _account(row)

    def find(self, username: str) -> AccountRecord | None:
        """Return the account with this username, or None."""
        return self._one(" WHERE username = ?", username)

    def by_id(self, account_id: int) -> AccountRecord | None:
        """Return the account with this id, or None."""
        return self._one(" WHERE id = ?", int(account_id))

    def records(self) -> list[AccountRecord]:
        """Return every account (disabled ones too), ordered by username."""
        with self._tx(write_lock=False) as conn:
            rows = conn.execute(_ACCOUNT + " ORDER BY username").fetchall()
        return [_account(row) for row in rows]

    def update(self, username: str, *, role: str | None = None,
               password_hash: str | None = None, disabled_at: str | None = None,
               enable: bool = False) -> AccountRecord:
        """Change the given fields (``enable`` clears ``disabled_at``); NotFoundError if absent."""
        changes: dict[str, object] = {"role": role, "password_hash": password_hash,
                                      "disabled_at": disabled_at}
        sets = {key: value for key, value in changes.items() if value is not None}
        if enable:  # enable wins over disabled_at in both stores (PostgreSQL refuses both)
            sets.pop("disabled_at", None)
        assignments = [f"{key} = ?" for key in sets] + (["disabled_at = NULL"] if enable else [])
        with self._tx(write_lock=True) as conn:
            if assignments:
                conn.execute(f"UPDATE zw_accounts SET {', '.join(assignments)} WHERE username = ?",
                             (*sets.values(), username))
            row = conn.execute(_ACCOUNT + " WHERE username = ?", (username,)).fetchone()
        if row is None:
            raise NotFoundError(f"no account named {username!r}")
        return _account(row)

    def add_failure(self, *, username: str, address: str, at: str) -> None:
        """Record one failed sign-in for ``username`` from ``address``."""
        with self._tx(write_lock=True) as conn:
            conn.execute("INSERT INTO zw_signin_failures (username, address, at) VALUES (?, ?, ?)",
                         (username, address, at))

    def count_failures(self, *, username: str, address: str, since: str) -> tuple[int, int]:
        """Return the failures since ``since`` (inclusive) for the username and for the address."""
        with self._tx(write_lock=False) as conn:
            by_user = conn.execute(
                "SELECT count(*) FROM zw_signin_failures WHERE username = ? AND at >= ?",
                (username, since)).fetchone()[0]
            by_address = conn.execute(
                "SELECT count(*) FROM zw_signin_failures WHERE address = ? AND at >= ?",
                (address, since)).fetchone()[0]
        return int(by_user), int(by_address)

    def clear_failures(self, username: str) -> None:
        """Forget the failures recorded for ``username`` (after a good sign-in)."""
        with self._tx(write_lock=True) as conn:
            conn.execute("DELETE FROM zw_signin_failures WHERE username = ?", (username,))

    def open_session(self, record: SessionRecord) -> None:
        """Store a new session."""
        with self._tx(write_lock=True) as conn:
            conn.execute("INSERT INTO zw_sessions VALUES (?, ?, ?, ?, ?)",
                         (record.session_hash, record.account_id, record.csrf,
                          record.created_at, record.seen_at))

    def find_session(self, session_hash: str) -> SessionRecord | None:
        """Return the session with this hash, or None."""
        with self._tx(write_lock=False) as conn:
            row = conn.execute(_SESSION + " WHERE session_hash = ?", (session_hash,)).fetchone()
        return None if row is None else _session(row)

    def touch_session(self, session_hash: str, at: str) -> None:
        """Set the session's ``seen_at``."""
        self._write("UPDATE zw_sessions SET seen_at = ? WHERE session_hash = ?",
                    at, session_hash)

    def close_session(self, session_hash: str) -> None:
        """Delete one session (idempotent)."""
        self._write("DELETE FROM zw_sessions WHERE session_hash = ?", session_hash)

    def close_sessions(self, account_id: int) -> None:
        """Delete every session of an account (on disable and password change)."""
        self._write("DELETE FROM zw_sessions WHERE account_id = ?", int(account_id))

    def _write(self, statement: str, *params: object) -> None:
        with self._tx(write_lock=True) as conn:
            conn.execute(statement, params)


def _account(row: tuple[Any, ...]) -> AccountRecord:
    account_id, username, role, password_hash, created_at, disabled_at = row
    return AccountRecord(int(account_id), username, role, password_hash, created_at, disabled_at)


def _session(row: tuple[Any, ...]) -> SessionRecord:
    session_hash, account_id, csrf, created_at, seen_at = row
    return SessionRecord(session_hash, int(account_id), csrf, created_at, seen_at)
