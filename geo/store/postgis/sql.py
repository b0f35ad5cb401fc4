"""SQL pieces for the PostGIS store: DDL, select lists, snapshots, filters.

Everything here builds :mod:`psycopg.sql` objects so that the schema name
(which comes from configuration) and every column name are quoted as
identifiers, never pasted into SQL text.
"""

from __future__ import annotations

import math
from typing import Any

from psycopg import sql

from geo.errors import ValidationError
from geo.ledger import ROLES, Layer
from geo.store.base import Query
from geo.store.postgis.observations import observations_ddl
from geo.store.records import check_bbox, whole_number

__all__ = [
    "ACCOUNTS",
    "HISTORY",
    "PHOTOS",
    "SESSIONS",
    "SIGNIN_FAILURES",
    "TOKENS",
    "ISO_DAY",
    "ISO_UTC",
    "PIECE_DEG",
    "SQL_TYPES",
    "create_statements",
    "insert_columns",
    "select_list",
    "table",
    "value_expr",
    "where_clause",
]

HISTORY = "history"
TOKENS = "tokens"
ACCOUNTS = "accounts"
SIGNIN_FAILURES = "signin_failures"
SESSIONS = "sessions"
PHOTOS = "photos"
SQL_TYPES = {
    "str": "text",
    "int": "bigint",
    "float": "double precision",
    "bool": "boolean",
    "date": "date",
    "datetime": "timestamptz",
}
# Output formats that reproduce geo.ledger's ISO strings exactly.
ISO_DAY = "YYYY-MM-DD"
ISO_UTC = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'


#: Longest piece, in degrees, of the lon/lat-straight segments radius queries
#: measure (<= 56 m on the ground, as in geo.radius): PostGIS takes an edge
#: of a geography as a great-circle arc, which leaves a lon/lat-straight edge
#: by metres over tens of kilometres; on 56 m pieces the two agree to 0.1 mm.
PIECE_DEG = 0.0005
# Radius queries read this stored, indexed column: the geometry cut into
# short pieces, as geography (on the WGS84 spheroid).
_GEOG_COLUMN = sql.SQL(
    '"geog" geography GENERATED ALWAYS AS (ST_Segmentize("geom", {})::geography) STORED'
).format(sql.Literal(PIECE_DEG))


def table(schema: str, name: str) -> sql.Identifier:
    """Return the quoted, schema-qualified name of a table."""
    return sql.Identifier(schema, name)


def create_statements(schema: str, layers: list[Layer]) -> list[sql.Composed]:
    """Return the idempotent DDL for the schema, every layer and the history."""
    statements: list[sql.Composed] = [
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
    ]
    for layer in layers:
        statements.extend(_layer_ddl(schema, layer))
    statements.extend(_history_ddl(schema))
    statements.extend(_tokens_ddl(schema))
    statements.extend(_accounts_ddl(schema))
    statements.extend(widen_role_checks(schema))
    statements.extend(_photos_ddl(schema))
    statements.extend(observations_ddl(schema))  # hourly air-quality readings
    return statements


def _layer_ddl(schema: str, layer: Layer) -> list[sql.Composed]:
    columns: list[sql.Composable] = [sql.SQL('"id" text COLLATE "C" PRIMARY KEY')]
    for f in layer.fields:
        if f.name == "id":
            continue
        not_null = f.required or f.name in ("version", "updated_at")
        columns.append(
            sql.SQL("{} {}{}").format(
                sql.Identifier(f.name),
                sql.SQL(SQL_TYPES[f.kind]),
                sql.SQL(" NOT NULL" if not_null else ""),
            )
        )
    if layer.has_geometry:
        columns.extend([sql.SQL('"geom" geometry(Geometry, 4326) NOT NULL'), _GEOG_COLUMN])
    name = table(schema, layer.name)
    ddl: list[sql.Composed] = [
        sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(name, sql.SQL(", ").join(columns))
    ]
    # a store made by an older version gets the optional fields added since
    ddl.extend(
        sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
            name, sql.Identifier(f.name), sql.SQL(SQL_TYPES[f.kind]))
        for f in layer.fields
        if f.name not in ("id", "version", "updated_at") and not f.required)
    if layer.has_geometry:
        for column in ("geom", "geog"):
            ddl.append(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist ({})").format(
                    sql.Identifier(f"{layer.name}_{column}_gist"), name, sql.Identifier(column)
                )
            )
    return ddl


def _history_ddl(schema: str) -> list[sql.Composed]:
    name = table(schema, HISTORY)
    guard = sql.Identifier(schema, "history_append_only")
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            "seq bigserial PRIMARY KEY, layer text NOT NULL, fid text NOT NULL, "
            "operation text NOT NULL CHECK (operation IN ('create', 'update', 'delete')), "
            "actor text NOT NULL, at timestamptz NOT NULL, before jsonb, after jsonb)"
        ).format(name),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (layer, fid, seq)").format(
            sql.Identifier("history_feature_idx"), name
        ),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$BEGIN RAISE EXCEPTION 'the history is append-only'; END$$"
        ).format(guard),
        sql.SQL(
            "CREATE OR REPLACE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON {} "
            "FOR EACH ROW EXECUTE FUNCTION {}()"
        ).format(name, guard),
        sql.SQL(
            "CREATE OR REPLACE TRIGGER history_no_truncate BEFORE TRUNCATE ON {} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {}()"
        ).format(name, guard),
    ]


def value_expr(layer: Layer, name: str, alias: str | None = None) -> sql.Composable:
    """Return the SQL expression that reads field ``name`` in its wire format."""
    column = sql.Identifier(alias, name) if alias else sql.Identifier(name)
    kind = layer.field(name).kind
    if kind == "date":
        return sql.SQL("to_char({}, {})").format(column, sql.Literal(ISO_DAY))
    if kind == "datetime":
        return sql.SQL("to_char({} AT TIME ZONE 'UTC', {})").format(column, sql.Literal(ISO_UTC))
    return column


def select_list(layer: Layer, alias: str | None = None) -> sql.Composable:
    """Return the columns of a layer as read: fields, then WKB geometry."""
    parts = [value_expr(layer, name, alias) for name in layer.field_names]
    if layer.has_geometry:
        geom = sql.Identifier(alias, "geom") if alias else sql.Identifier("geom")
        parts.append(sql.SQL("ST_AsBinary({})").format(geom))
    return sql.SQL(", ").join(parts)


def insert_columns(layer: Layer) -> sql.Composable:
    """Return the column list of a layer's table, in table order."""
    names = [sql.Identifier(n) for n in layer.field_names]
    if layer.has_geometry:
        names.append(sql.Identifier("geom"))
    return sql.SQL(", ").join(names)


def where_clause(layer: Layer, query: Query) -> tuple[sql.Composed, list[Any]]:
    """Return ``WHERE ...`` (or nothing) and its parameters for ``query``."""
    parts: list[sql.Composable] = []
    params: list[Any] = []
    if query.ids is not None:
        parts.append(sql.SQL('"id" = ANY(%s::text[])'))
        params.append([str(i) for i in query.ids])
    if query.bbox is not None:
        parts.append(_bbox_condition(layer))
        params.extend(check_bbox(query.bbox) * 2)
    for name, value in query.filters.items():
        condition, values = _filter_condition(layer, name, value)
        parts.append(condition)
        params.extend(values)
    if not parts:
        return sql.Composed([]), params
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(parts), params


def _bbox_condition(layer: Layer) -> sql.Composable:
    if not layer.has_geometry:
        raise ValidationError(
            f"layer {layer.name!r} has no geometry to filter by bbox", field="bbox"
        )
    envelope = "ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
    return sql.SQL(f'("geom" && {envelope} AND ST_Intersects("geom", {envelope}))')


def _filter_condition(layer: Layer, name: str, value: Any) -> tuple[sql.Composable, list[Any]]:
    f = layer.field(name)
    wanted = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
    present = [_filter_value(name, f.kind, v) for v in wanted if v is not None]
    column = sql.Identifier(name)
    # Values travel as text and PostgreSQL casts them to the column's type.
    condition = sql.SQL("{} = ANY(%s::{}[])").format(column, sql.SQL(SQL_TYPES[f.kind]))
    if len(present) == len(wanted):
        return condition, [present]  # an empty "any of" matches nothing
    null_test = sql.SQL("{} IS NULL").format(column)
    if not present:
        return null_test, []
    return sql.SQL("({} OR {})").format(condition, null_test), [present]


_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


def _filter_value(name: str, kind: str, value: Any) -> str:
    """Return a filter value as the text of its column type, or raise ValidationError."""
    try:
        if kind == "bool":
            text = str(value).strip().lower()
            if text not in _TRUE | _FALSE:
                raise ValueError("expected true or false")
            return "true" if text in _TRUE else "false"
        if kind == "int":
            return str(whole_number(value))
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError("a boolean is not a number")
            number = float(value)
            if not math.isfinite(number):
                raise ValueError("not finite")
            return repr(number)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"filter {name}={value!r} is not a valid {kind} ({exc})", field=name
        ) from None
    return str(value)


_ROLE_LIST = ", ".join(f"'{role}'" for role in ROLES)  # constants of geo.ledger, not input


def widen_role_checks(schema: str) -> list[sql.Composed]:
    """Return statements that let tables made before a role was added admit every role.

    Each replaces the role CHECK of tokens and accounts by the present one,
    only where the stored definition lacks a role (so a start changes nothing
    and takes no lock once done).
    """
    patterns = sql.SQL(", ").join(sql.Literal(f"%'{role}'%") for role in ROLES)
    statements = []
    for name in (TOKENS, ACCOUNTS):
        qualified = '"{}"."{}"'.format(schema.replace('"', '""'), name)
        statements.append(sql.SQL(
            "DO $$ DECLARE c record; BEGIN "
            "FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = {reg}::regclass "
            "AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%role%' "
            "AND NOT pg_get_constraintdef(oid) LIKE ALL (ARRAY[{patterns}]) LOOP "
            "EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', {reg}, c.conname); "
            "EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (role IN (' || {roles} "
            "|| '))', {reg}, c.conname); END LOOP; END $$"
        ).format(reg=sql.Literal(qualified), patterns=patterns, roles=sql.Literal(_ROLE_LIST)))
    return statements


def _tokens_ddl(schema: str) -> list[sql.Composed]:
    # Only the SHA-256 of each API token is kept; times are ISO 8601 UTC text.
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            "id bigserial PRIMARY KEY, name text NOT NULL, "
            "role text NOT NULL CHECK (role IN (" + _ROLE_LIST + ")), "
            "hash text NOT NULL UNIQUE, created_at text NOT NULL, revoked_at text)"
        ).format(table(schema, TOKENS)),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (layer, at)").format(
            sql.Identifier("history_at_idx"), table(schema, HISTORY)
        ),
    ]


def _accounts_ddl(schema: str) -> list[sql.Composed]:
    # Staff accounts (argon2 hashes), failed sign-ins, sessions (SHA-256 of the cookie).
    accounts, failures = table(schema, ACCOUNTS), table(schema, SIGNIN_FAILURES)
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            "id bigserial PRIMARY KEY, username text NOT NULL UNIQUE, "
            "role text NOT NULL CHECK (role IN (" + _ROLE_LIST + ")), "
            "password_hash text NOT NULL, created_at text NOT NULL, disabled_at text)"
        ).format(accounts),
        sql.SQL("CREATE TABLE IF NOT EXISTS {} ("
                "username text NOT NULL, address text NOT NULL, at text NOT NULL)"
                ).format(failures),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (username, at)").format(
            sql.Identifier("signin_failures_user_idx"), failures),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (address, at)").format(
            sql.Identifier("signin_failures_address_idx"), failures),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (session_hash text PRIMARY KEY, "
            "account_id bigint NOT NULL REFERENCES {} (id) ON DELETE CASCADE, "
            "csrf text NOT NULL, created_at text NOT NULL, seen_at text NOT NULL)"
        ).format(table(schema, SESSIONS), accounts),
    ]


def _photos_ddl(schema: str) -> list[sql.Composed]:
    # inspection photos, re-encoded without EXIF, with a JPEG thumbnail; times ISO 8601 UTC
    photos = table(schema, PHOTOS)
    return [sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, inspection_id text NOT NULL, "
        "media_type text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')), "
        "width integer NOT NULL, height integer NOT NULL, size_bytes integer NOT NULL, "
        "sha256 text NOT NULL, created_at text NOT NULL, image bytea NOT NULL, "
        "thumbnail bytea NOT NULL)").format(photos),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (inspection_id)").format(
            sql.Identifier("photos_inspection_idx"), photos)]
