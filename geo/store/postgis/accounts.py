"""Staff accounts in the PostGIS store: ``accounts``, ``signin_failures``, ``sessions``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from psycopg import sql

from geo.errors import DuplicateIdError, NotFoundError, StoreError
from geo.ledger import now_utc
from geo.store.base import AccountRecord, SessionRecord
from geo.store.postgis.sql import ACCOUNTS, SESSIONS, SIGNIN_FAILURES, table

__all__ = ["PostGISAccounts"]

Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]
_ACCOUNT_COLUMNS = "id, username, role, password_hash, created_at, disabled_at"


class PostGISAccounts:
    """The :class:`geo.store.base.AccountBook` of a PostGIS store.

    Parameters
    ----------
    transaction : callable
        The store's ``_tx()``: one transaction per call, database errors mapped.
    schema : str
        The store's schema.
    """

    def __init__(self, transaction: Connect, schema: str) -> None:
        self._tx = transaction
        self._accounts = table(schema, ACCOUNTS)
        self._failures = table(schema, SIGNIN_FAILURES)
        self._sessions = table(schema, SESSIONS)

    def _select(self, tail: str) -> sql.Composed:
        return sql.SQL("SELECT " + _ACCOUNT_COLUMNS + " FROM {}").format(
            self._accounts) + sql.SQL(tail)

    def add(self, *, username: str, role: str, password_hash: str) -> AccountRecord:
        """Store a new account; DuplicateIdError when the username is taken."""
        statement = sql.SQL(
            "INSERT INTO {} (username, role, password_hash, created_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (username) DO NOTHING RETURNING " + _ACCOUNT_COLUMNS
        ).format(self._accounts)
        with self._tx() as conn:
            row = conn.execute(statement, [username, role, password_hash, now_utc()]).fetchone()
        if row is None:
            raise DuplicateIdError(f"an account named {username!r} exists")
        return AccountRecord(*row)

    def _one(self, tail: str, value: object) -> AccountRecord | None:
        with self._tx() as conn:
            row = conn.execute(self._select(tail), [value]).fetchone()
        return None if row is None else AccountRecord(*row)

    def find(self, username: str) -> AccountRecord | None:
        """Return the account with this username, or None."""
        return self._one(" WHERE username = %s", username)

    def by_id(self, account_id: int) -> AccountRecord | None:
        """Return the account with this id, or None."""
        return self._one(" WHERE id = %s", int(account_id))

    def records(self) -> list[AccountRecord]:
        """Return every account (disabled ones too), ordered by username."""
        with self._tx() as conn:
            return [AccountRecord(*row)
                    for row in conn.execute(self._select(' ORDER BY username COLLATE "C"'))]

    def update(self, username: str, *, role: str | None = None,
               password_hash: str | None = None, disabled_at: str | None = None,
               enable: bool = False) -> AccountRecord:
        """Change the given fields (``enable`` clears ``disabled_at``); NotFoundError if absent."""
        changes: dict[str, object] = {"role": role, "password_hash": password_hash,
                                      "disabled_at": disabled_at}
        sets = {key: value for key, value in changes.items() if value is not None}
        if enable:  # enable wins over disabled_at in both stores (PostgreSQL refuses both)
            sets.pop("disabled_at", None)
        parts: list[sql.Composable] = [
            sql.SQL("{} = %s").format(sql.Identifier(key)) for key in sets]
        if enable:
            parts.append(sql.SQL("disabled_at = NULL"))
        with self._tx() as conn:
            if parts:
                conn.execute(sql.SQL("UPDATE {} SET {} WHERE username = %s").format(
                    self._accounts, sql.SQL(", ").join(parts)), [*sets.values(), username])
            row = conn.execute(self._select(" WHERE username = %s"), [username]).fetchone()
        if row is None:
            raise NotFoundError(f"no account named {username!r}")
        return AccountRecord(*row)

    def add_failure(self, *, username: str, address: str, at: str) -> None:
        """Record one failed sign-in for ``username`` from ``address``."""
        self._write("INSERT INTO {} (username, address, at) VALUES (%s, %s, %s)",
                    self._failures, username, address, at)

    def count_failures(self, *, username: str, address: str, since: str) -> tuple[int, int]:
        """Return the failures since ``since`` (inclusive) for the username and for the address."""
        statement = sql.SQL(
            "SELECT count(*) FILTER (WHERE username = %s), count(*) FILTER (WHERE address = %s) "
            "FROM {} WHERE at >= %s AND (username = %s OR address = %s)").format(self._failures)
        with self._tx() as conn:
            row = conn.execute(statement, [username, address, since, username, address]
                               ).fetchone()
        if row is None:  # an aggregate always gives one row; this satisfies the types
            raise StoreError("the failure count was not returned")
        return int(row[0]), int(row[1])

    def clear_failures(self, username: str) -> None:
        """Forget the failures recorded for ``username`` (after a good sign-in)."""
        self._write("DELETE FROM {} WHERE username = %s", self._failures, username)

    def open_session(self, record: SessionRecord) -> None:
        """Store a new session."""
        self._write("INSERT INTO {} (session_hash, account_id, csrf, created_at, seen_at) "
                    "VALUES (%s, %s, %s, %s, %s)", self._sessions, record.session_hash,
                    record.account_id, record.csrf, record.created_at, record.seen_at)

    def find_session(self, session_hash: str) -> SessionRecord | None:
        """Return the session with this hash, or None."""
        statement = sql.SQL("SELECT session_hash, account_id, csrf, created_at, seen_at "
                            "FROM {} WHERE session_hash = %s").format(self._sessions)
        with self._tx() as conn:
            row = conn.execute(statement, [session_hash]).fetchone()
        return None if row is None else SessionRecord(*row)

    def touch_session(self, session_hash: str, at: str) -> None:
        """Set the session's ``seen_at``."""
        self._write("UPDATE {} SET seen_at = %s WHERE session_hash = %s", self._sessions,
                    at, session_hash)

    def close_session(self, session_hash: str) -> None:
        """Delete one session (idempotent)."""
        self._write("DELETE FROM {} WHERE session_hash = %s", self._sessions, session_hash)

    def close_sessions(self, account_id: int) -> None:
        """Delete every session of an account (on disable and password change)."""
        self._write("DELETE FROM {} WHERE account_id = %s", self._sessions, int(account_id))

    def _write(self, template: str, target: sql.Identifier, *params: object) -> None:
        with self._tx() as conn:
            conn.execute(sql.SQL(template).format(target), list(params))
