"""GeoPackage 1.3 schema for the ledger: core tables, layer tables, R-tree, helpers.

Everything here is idempotent (``CREATE ... IF NOT EXISTS``, ``INSERT OR
IGNORE``) so :func:`init_schema` can run on every start. The R-tree is kept
current by the standard GeoPackage 1.3 triggers, which call the
``ST_*`` functions of :mod:`geo.store.gpkg.binary` on our connections and
GDAL's own functions when GDAL or QGIS edit the file.

Helper tables ``zw_history`` (append-only change log) and ``zw_meta``
(schema version, id sequences) are deliberately *not* registered in
``gpkg_contents``: GDAL and QGIS list only registered tables, so users see
exactly the ledger layers and cannot edit the history by accident.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pyproj import CRS
from pyproj.enums import WktVersion

from geo.errors import StoreError
from geo.ledger import LAYERS, ROLES, Layer
from geo.store.gpkg.binary import register_functions
from geo.store.gpkg.observations import OBSERVATIONS_DDL

__all__ = [
    "FID",
    "GEOM",
    "SCHEMA_VERSION",
    "SRS_ID",
    "connect",
    "init_schema",
    "rtree_name",
    "touch_contents",
]

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3.0
SCHEMA_VERSION = 2  # 2: the dispatcher role
SRS_ID = 4326
FID = "fid"
GEOM = "geom"
BUSY_TIMEOUT_S = 10.0

_COLUMN_TYPES = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "REAL",
    "bool": "BOOLEAN",
    "date": "DATE",
    "datetime": "DATETIME",
}

_CORE_DDL = (
    """CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
        srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
        organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE IF NOT EXISTS gpkg_contents (
        table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
        description TEXT DEFAULT '',
        last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
        CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
        srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
        CONSTRAINT uk_gc_table_name UNIQUE (table_name),
        CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
        CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE IF NOT EXISTS gpkg_extensions (
        table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
        definition TEXT NOT NULL, scope TEXT NOT NULL,
        CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))""",
    """CREATE TABLE IF NOT EXISTS zw_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, layer TEXT NOT NULL, fid TEXT NOT NULL,
        operation TEXT NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
        actor TEXT NOT NULL, at DATETIME NOT NULL, before TEXT, after TEXT)""",
    "CREATE INDEX IF NOT EXISTS zw_history_feature ON zw_history (layer, fid, seq)",
    # The history is append-only, whoever opens the file.
    """CREATE TRIGGER IF NOT EXISTS zw_history_no_update BEFORE UPDATE ON zw_history
        BEGIN SELECT RAISE(ABORT, 'zw_history is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS zw_history_no_delete BEFORE DELETE ON zw_history
        BEGIN SELECT RAISE(ABORT, 'zw_history is append-only'); END""",
    "CREATE TABLE IF NOT EXISTS zw_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # API tokens: only the SHA-256 of each token is kept.
    """CREATE TABLE IF NOT EXISTS zw_tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ({roles})),
        hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS zw_history_at ON zw_history (layer, at)",
    # Staff accounts (argon2 hashes), failed sign-ins, and sessions (SHA-256 of the cookie).
    """CREATE TABLE IF NOT EXISTS zw_accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ({roles})),
        password_hash TEXT NOT NULL, created_at TEXT NOT NULL, disabled_at TEXT)""",
    """CREATE TABLE IF NOT EXISTS zw_signin_failures (
        username TEXT NOT NULL, address TEXT NOT NULL, at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS zw_signin_failures_user ON zw_signin_failures (username, at)",
    "CREATE INDEX IF NOT EXISTS zw_signin_failures_address ON zw_signin_failures (address, at)",
    """CREATE TABLE IF NOT EXISTS zw_sessions (
        session_hash TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES zw_accounts(id) ON DELETE CASCADE,
        csrf TEXT NOT NULL, created_at TEXT NOT NULL, seen_at TEXT NOT NULL)""",
    # Inspection photos, re-encoded without EXIF, with a JPEG thumbnail.
    """CREATE TABLE IF NOT EXISTS zw_photos (
        id TEXT PRIMARY KEY, inspection_id TEXT NOT NULL,
        media_type TEXT NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')),
        width INTEGER NOT NULL, height INTEGER NOT NULL, size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL, created_at TEXT NOT NULL, image BLOB NOT NULL,
        thumbnail BLOB NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS zw_photos_inspection ON zw_photos (inspection_id)",
)

# The R-tree triggers of GeoPackage 1.3 (annex F.3); {t} table, {c} geometry
# column, {i} integer primary key, {r} R-tree table.
_RTREE_TRIGGERS = {
    "insert": """AFTER INSERT ON "{t}" WHEN (new."{c}" NOT NULL AND NOT ST_IsEmpty(NEW."{c}"))
        BEGIN INSERT OR REPLACE INTO "{r}" VALUES (NEW."{i}",
            ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}")); END""",
    "update1": """AFTER UPDATE OF "{c}" ON "{t}" WHEN OLD."{i}" = NEW."{i}"
            AND (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}"))
        BEGIN INSERT OR REPLACE INTO "{r}" VALUES (NEW."{i}",
            ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}")); END""",
    "update2": """AFTER UPDATE OF "{c}" ON "{t}" WHEN OLD."{i}" = NEW."{i}"
            AND (NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}"))
        BEGIN DELETE FROM "{r}" WHERE id = OLD."{i}"; END""",
    "update3": """AFTER UPDATE ON "{t}" WHEN OLD."{i}" != NEW."{i}"
            AND (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}"))
        BEGIN DELETE FROM "{r}" WHERE id = OLD."{i}";
            INSERT OR REPLACE INTO "{r}" VALUES (NEW."{i}",
            ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}")); END""",
    "update4": """AFTER UPDATE ON "{t}" WHEN OLD."{i}" != NEW."{i}"
            AND (NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}"))
        BEGIN DELETE FROM "{r}" WHERE id IN (OLD."{i}", NEW."{i}"); END""",
    "delete": """AFTER DELETE ON "{t}" WHEN old."{c}" NOT NULL
        BEGIN DELETE FROM "{r}" WHERE id = OLD."{i}"; END""",
}


def connect(path: Path) -> sqlite3.Connection:
    """Open ``path`` in autocommit mode with the store's pragmas and SQL functions.

    Transactions are explicit (``BEGIN IMMEDIATE`` for writes); WAL lets
    readers run while a writer holds the lock; ``synchronous=FULL`` makes a
    commit durable across power loss, not only across a process crash.
    """
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        # 32 MiB page cache (grown only as used): bulk writes touch the id index,
        # the R-tree and the history in random order.
        conn.execute("PRAGMA cache_size = -32768")
        # Python's create_function cannot mark functions innocuous; triggers may
        # only call them when the schema is trusted (the default, stated here).
        conn.execute("PRAGMA trusted_schema = ON")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open GeoPackage {str(path)!r}: {exc}") from exc
    register_functions(conn)
    return conn


def rtree_name(layer: Layer) -> str:
    """Return the R-tree table of a spatial layer (``rtree_<table>_<column>``)."""
    return f"rtree_{layer.name}_{GEOM}"


def init_schema(conn: sqlite3.Connection) -> None:
    """Create (or complete) the GeoPackage and every ledger layer; call in a transaction."""
    _check_schema_version(conn)
    _widen_role_checks(conn)
    for ddl in _CORE_DDL:
        conn.execute(ddl.replace("{roles}", _ROLE_LIST))
    for ddl in OBSERVATIONS_DDL:  # hourly air-quality readings (geo.store.gpkg.observations)
        conn.execute(ddl)
    _insert_srs_rows(conn)
    for layer in LAYERS.values():
        _create_layer(conn, layer)
    conn.execute(
        "INSERT OR REPLACE INTO zw_meta (key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )


def set_header(conn: sqlite3.Connection) -> None:
    """Mark the file as a GeoPackage 1.3 (application_id ``GPKG``, user_version 10300)."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {USER_VERSION}")


def header_is_set(conn: sqlite3.Connection) -> bool:
    """Whether the file already says it is a GeoPackage 1.3.

    Asked through SQLite, never by reading the file: closing any other file
    descriptor on the database would drop this process's POSIX locks, and
    another process could then reset the WAL under our open connections.
    """
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return app_id == APPLICATION_ID and version == USER_VERSION


_ROLE_LIST = ", ".join(f"'{role}'" for role in ROLES)
_ROLE_TABLES = ("zw_tokens", "zw_accounts")


def _widen_role_checks(conn: sqlite3.Connection) -> None:
    """Rebuild a role table made before a role was added, so its CHECK admits every role.

    SQLite cannot alter a CHECK constraint: the table is copied into one
    created afresh (same rows, same ids). Sessions reference accounts with
    ON DELETE CASCADE, so they are kept aside while the old table goes.
    """
    for name in _ROLE_TABLES:
        row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (name,)).fetchone()
        if row is None or _ROLE_LIST in row[0]:
            continue
        ddl = next(d for d in _CORE_DDL if f"EXISTS {name} (" in d)
        keep = name == "zw_accounts" and _has_table(conn, "zw_sessions")
        if keep:
            conn.execute("CREATE TEMP TABLE zw_sessions_kept AS SELECT * FROM zw_sessions")
        conn.execute(ddl.replace(f"EXISTS {name} (", f"EXISTS {name}_new (")
                     .replace("{roles}", _ROLE_LIST))
        conn.execute(f"INSERT INTO {name}_new SELECT * FROM {name}")
        conn.execute(f"DROP TABLE {name}")
        conn.execute(f"ALTER TABLE {name}_new RENAME TO {name}")
        if keep:
            conn.execute("INSERT INTO zw_sessions SELECT * FROM zw_sessions_kept")
            conn.execute("DROP TABLE zw_sessions_kept")


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)).fetchone() is not None


def _check_schema_version(conn: sqlite3.Connection) -> None:
    known = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'zw_meta'"
    ).fetchone()
    if not known:
        return
    row = conn.execute("SELECT value FROM zw_meta WHERE key = 'schema_version'").fetchone()
    if row and int(row[0]) > SCHEMA_VERSION:
        raise StoreError(
            f"GeoPackage schema version {row[0]} is newer than this Zonewatch "
            f"understands ({SCHEMA_VERSION}); upgrade Zonewatch"
        )


def _insert_srs_rows(conn: sqlite3.Connection) -> None:
    wgs84 = CRS.from_epsg(SRS_ID).to_wkt(WktVersion.WKT1_GDAL)
    rows = [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian system"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic system"),
        ("WGS 84 geodetic", SRS_ID, "EPSG", SRS_ID, wgs84, "longitude/latitude on WGS 84"),
    ]
    conn.executemany("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", rows)


def _column_ddl(layer: Layer) -> list[str]:
    columns = [f'"{FID}" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL']
    if layer.has_geometry:
        columns.append(f'"{GEOM}" {_geometry_type_name(layer)}')
    for f in layer.fields:
        extra = " NOT NULL UNIQUE" if f.name == "id" else ""
        extra += " DEFAULT 1" if f.name == "version" else ""
        columns.append(f'"{f.name}" {_COLUMN_TYPES[f.kind]}{extra}')
    return columns


def _geometry_type_name(layer: Layer) -> str:
    kinds = sorted(layer.geometry_types)
    return kinds[0].upper() if len(kinds) == 1 else "GEOMETRY"


def _create_layer(conn: sqlite3.Connection, layer: Layer) -> None:
    t = layer.name
    conn.execute(f'CREATE TABLE IF NOT EXISTS "{t}" ({", ".join(_column_ddl(layer))})')
    _add_missing_columns(conn, layer)
    data_type = "features" if layer.has_geometry else "attributes"
    srs_id = SRS_ID if layer.has_geometry else None
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description,"
        " srs_id) VALUES (?, ?, ?, ?, ?)",
        (t, data_type, t, f"Zonewatch ledger layer {t}", srs_id),
    )
    if layer.has_geometry:
        _create_spatial_parts(conn, layer)


def _add_missing_columns(conn: sqlite3.Connection, layer: Layer) -> None:
    present = {row[1] for row in conn.execute(f'PRAGMA table_info("{layer.name}")')}
    if "id" not in present or FID not in present:
        raise StoreError(
            f"table {layer.name!r} exists but is not a Zonewatch layer "
            f"(expected columns {FID!r} and 'id')"
        )
    # A field added to the ledger model later becomes a new nullable column.
    for f in layer.fields:
        if f.name not in present:
            conn.execute(
                f'ALTER TABLE "{layer.name}" ADD COLUMN "{f.name}" {_COLUMN_TYPES[f.kind]}'
            )


def _create_spatial_parts(conn: sqlite3.Connection, layer: Layer) -> None:
    t, r = layer.name, rtree_name(layer)
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
        (t, GEOM, _geometry_type_name(layer), SRS_ID),
    )
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', ?, 'write-only')",
        (t, GEOM, "http://www.geopackage.org/spec/#extension_rtree"),
    )
    conn.execute(
        f'CREATE VIRTUAL TABLE IF NOT EXISTS "{r}" USING rtree(id, minx, maxx, miny, maxy)'
    )
    for suffix, body in _RTREE_TRIGGERS.items():
        sql = body.format(t=t, c=GEOM, i=FID, r=r)
        conn.execute(f'CREATE TRIGGER IF NOT EXISTS "{r}_{suffix}" {sql}')


def touch_contents(
    conn: sqlite3.Connection,
    layer: Layer,
    *,
    at: str,
    recompute: bool = False,
    envelope: tuple[float, float, float, float] | None = None,
) -> None:
    """Record a change in ``gpkg_contents``: ``last_change`` and the layer bounds.

    ``envelope`` (minx, maxx, miny, maxy) widens the bounds after a single
    edit; ``recompute`` rebuilds them from the R-tree after bulk writes.
    Bounds are informative in GeoPackage, so a delete may leave them wider.
    """
    stamp = at.replace("Z", "")[:23] + "Z"
    conn.execute(
        "UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (stamp, layer.name)
    )
    if not layer.has_geometry:
        return
    if recompute:
        conn.execute(
            f"""UPDATE gpkg_contents SET (min_x, max_x, min_y, max_y) =
                (SELECT min(minx), max(maxx), min(miny), max(maxy) FROM "{rtree_name(layer)}")
                WHERE table_name = ?""",
            (layer.name,),
        )
    elif envelope is not None:
        conn.execute(
            """UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?1), ?1),
                max_x = max(coalesce(max_x, ?2), ?2), min_y = min(coalesce(min_y, ?3), ?3),
                max_y = max(coalesce(max_y, ?4), ?4) WHERE table_name = ?5""",
            (*envelope, layer.name),
        )
