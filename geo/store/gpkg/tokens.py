"""API tokens in the GeoPackage store: the ``zw_tokens`` table (hashes only)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from geo.errors import NotFoundError
from geo.ledger import now_utc
from geo.store.base import TokenRecord

__all__ = ["GeoPackageTokens"]

_SELECT = "SELECT id, name, role, hash, created_at, revoked_at FROM zw_tokens"
Connect = Callable[..., AbstractContextManager[sqlite3.Connection]]


class GeoPackageTokens:
    """The :class:`geo.store.base.TokenBook` of a GeoPackage store.

    Parameters
    ----------
    transaction : callable
        The store's ``_tx(write_lock=...)``: one SQLite transaction per call.
    """

    def __init__(self, transaction: Connect) -> None:
        self._tx = transaction

    def add(self, *, name: str, role: str, token_hash: str) -> TokenRecord:
        """Store a new token's hash with its holder's name and role."""
        with self._tx(write_lock=True) as conn:
            cursor = conn.execute(
                "INSERT INTO zw_tokens (name, role, hash, created_at) VALUES (?, ?, ?, ?)",
                (name, role, token_hash, now_utc()))
            row = conn.execute(_SELECT + " WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _token(row)

    def records(self) -> list[TokenRecord]:
        """Return every token record (revoked ones too), ordered by id."""
        with self._tx(write_lock=False) as conn:
            return [_token(row) for row in conn.execute(_SELECT + " ORDER BY id").fetchall()]

    def find(self, token_hash: str) -> TokenRecord | None:
        """Return the token record with this hash, or None."""
        with self._tx(write_lock=False) as conn:
            row = conn.execute(_SELECT + " WHERE hash = ?", (token_hash,)).fetchone()
        return None if row is None else _token(row)

    def revoke(self, token_id: int) -> TokenRecord:
        """Mark a token revoked (idempotent); NotFoundError for an unknown id."""
        with self._tx(write_lock=True) as conn:
            conn.execute("UPDATE zw_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                         (now_utc(), int(token_id)))
            row = conn.execute(_SELECT + " WHERE id = ?", (int(token_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"no token with id {token_id}")
        return _token(row)


def _token(row: tuple[Any, ...]) -> TokenRecord:
    token_id, name, role, token_hash, created_at, revoked_at = row
    return TokenRecord(int(token_id), name, role, token_hash, created_at, revoked_at)
