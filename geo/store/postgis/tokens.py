"""API tokens in the PostGIS store: the ``tokens`` table (hashes only)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from psycopg import sql

from geo.errors import NotFoundError, StoreError
from geo.ledger import now_utc
from geo.store.base import TokenRecord
from geo.store.postgis.sql import TOKENS, table

__all__ = ["PostGISTokens"]

Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


class PostGISTokens:
    """The :class:`geo.store.base.TokenBook` of a PostGIS store.

    Parameters
    ----------
    transaction : callable
        The store's ``_tx()``: one transaction per call, database errors mapped.
    schema : str
        The store's schema.
    """

    def __init__(self, transaction: Connect, schema: str) -> None:
        self._tx = transaction
        self._table = table(schema, TOKENS)

    def _select(self, tail: str) -> sql.Composed:
        return sql.SQL("SELECT id, name, role, hash, created_at, revoked_at FROM {}").format(
            self._table) + sql.SQL(tail)

    def add(self, *, name: str, role: str, token_hash: str) -> TokenRecord:
        """Store a new token's hash with its holder's name and role."""
        statement = sql.SQL(
            "INSERT INTO {} (name, role, hash, created_at) VALUES (%s, %s, %s, %s) "
            "RETURNING id, name, role, hash, created_at, revoked_at").format(self._table)
        with self._tx() as conn:
            row = conn.execute(statement, [name, role, token_hash, now_utc()]).fetchone()
        if row is None:  # INSERT ... RETURNING always gives the row; this satisfies the types
            raise StoreError("the new token was not returned")
        return TokenRecord(*row)

    def records(self) -> list[TokenRecord]:
        """Return every token record (revoked ones too), ordered by id."""
        with self._tx() as conn:
            return [TokenRecord(*row) for row in conn.execute(self._select(" ORDER BY id"))]

    def find(self, token_hash: str) -> TokenRecord | None:
        """Return the token record with this hash, or None."""
        with self._tx() as conn:
            row = conn.execute(self._select(" WHERE hash = %s"), [token_hash]).fetchone()
        return None if row is None else TokenRecord(*row)

    def revoke(self, token_id: int) -> TokenRecord:
        """Mark a token revoked (idempotent); NotFoundError for an unknown id."""
        update = sql.SQL("UPDATE {} SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL"
                         ).format(self._table)
        with self._tx() as conn:
            conn.execute(update, [now_utc(), int(token_id)])
            row = conn.execute(self._select(" WHERE id = %s"), [int(token_id)]).fetchone()
        if row is None:
            raise NotFoundError(f"no token with id {token_id}")
        return TokenRecord(*row)
