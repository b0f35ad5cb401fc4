"""The :class:`Store` interface every ledger backend implements.

Two real implementations exist: :class:`geo.store.gpkg.GeoPackageStore`
(one embedded file, the default) and :class:`geo.store.postgis.PostGISStore`
(a PostgreSQL server with PostGIS). Both pass the same contract test suite
(``tests/geo/store/test_contract.py``).

Frames returned by stores are GeoDataFrames in EPSG:4326 (plain DataFrames for
layers without geometry), one row per feature ordered by ``id``, with exactly
the layer's field names as columns plus ``geometry``. Dates and timestamps
travel as ISO 8601 strings, missing values as None.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import pandas as pd

from geo.ledger import Feature, Layer

if TYPE_CHECKING:
    from geo.store.records import Record

__all__ = [
    "MAX_STORE_INT",
    "AccountBook",
    "AccountRecord",
    "HistoryEntry",
    "ObservationBook",
    "Operation",
    "PhotoBook",
    "PhotoData",
    "PhotoRecord",
    "Query",
    "SessionRecord",
    "Store",
    "TokenBook",
    "TokenRecord",
    "Transaction",
    "WriteMode",
    "WriteSummary",
]

WriteMode = Literal["append", "upsert", "replace"]

#: The largest whole number both stores keep and compare (64-bit signed: SQLite
#: INTEGER, PostgreSQL bigint); beyond it PostgreSQL refuses while SQLite goes
#: on in floating point, so a larger offset or integer filter is refused alike.
MAX_STORE_INT = 2**63 - 1
Operation = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class Query:
    """Which features of a layer to read.

    ``bbox`` is (min_lon, min_lat, max_lon, max_lat) and selects features
    whose geometry intersects the box; ``filters`` are equality tests on
    fields (a list or tuple value means "any of"); ``limit``/``offset`` page
    through features ordered by ``id``. Integers (``limit``, ``offset``,
    integer filter values) lie within +-:data:`MAX_STORE_INT`, else every
    store raises ValidationError naming them.
    """

    bbox: tuple[float, float, float, float] | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)
    ids: tuple[str, ...] | None = None
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class WriteSummary:
    """What a bulk write did: counts of features inserted, updated, deleted."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class HistoryEntry:
    """One change to a feature: who, when, what operation, before and after.

    ``before`` and ``after`` are GeoJSON-like dicts (``properties`` and
    ``geometry`` as WKT) or None (before a create, after a delete).
    """

    seq: int
    layer: str
    fid: str
    operation: Literal["create", "update", "delete"]
    actor: str
    at: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class TokenRecord:
    """One API token as stored: never the token itself, only its SHA-256 hash.

    ``role`` is ``viewer``, ``editor`` or ``admin``; ``revoked_at`` is None
    while the token is valid. Times are ISO 8601 UTC strings.
    """

    id: int
    name: str
    role: str
    hash: str
    created_at: str
    revoked_at: str | None = None


@dataclass(frozen=True)
class AccountRecord:
    """One staff account as stored: the argon2 hash of its password, never the password.

    ``role`` is ``viewer``, ``editor`` or ``admin``; ``disabled_at`` is None
    while the account may sign in. Times are ISO 8601 UTC strings.
    """

    id: int
    username: str
    role: str
    password_hash: str
    created_at: str
    disabled_at: str | None = None


@dataclass(frozen=True)
class SessionRecord:
    """One signed-in browser session: the SHA-256 of its cookie, never the cookie.

    ``csrf`` is the session's anti-forgery secret, put into every form it is
    shown; ``seen_at`` is the time of its last request (idle expiry).
    """

    session_hash: str
    account_id: int
    csrf: str
    created_at: str
    seen_at: str


@dataclass(frozen=True)
class PhotoRecord:
    """One photo of an inspection as stored (the image itself is fetched apart).

    ``media_type`` is ``image/jpeg`` or ``image/png``; the stored image is
    the re-encoded one (no EXIF), ``sha256`` its digest. Times are ISO 8601 UTC.
    """

    id: str
    inspection_id: str
    media_type: str
    width: int
    height: int
    size_bytes: int
    sha256: str
    created_at: str


@dataclass(frozen=True)
class PhotoData:
    """A photo to store: its record, the image and a small JPEG thumbnail."""

    record: PhotoRecord
    image: bytes
    thumbnail: bytes


class Transaction(Protocol):
    """The primitive operations of one store transaction; :mod:`geo.writes` is the only caller.

    Records carry every field (``version`` and ``updated_at`` already
    stamped) and a lon/lat geometry; a transaction stores and returns them as
    they are and enforces no rule of the ledger. What one transaction wrote
    is visible to its own reads, and to nobody else's before commit.
    """

    def lock(self, layer: Layer) -> None:
        """Make writers of ``layer`` take turns until this transaction ends."""

    def rows(self, layer: Layer, ids: Sequence[str]) -> dict[str, Record]:
        """Return the stored records among ``ids``, keyed by id, held until commit."""
        ...

    def select(self, layer: Layer, query: Query) -> list[Record]:
        """Return the records matching ``query``'s filters and ids (no bbox, no paging)."""
        ...

    def insert(self, layer: Layer, records: Sequence[Record]) -> None:
        """Insert new records (a taken id is a DuplicateIdError)."""

    def update(self, layer: Layer, records: Sequence[Record]) -> None:
        """Overwrite every field and the geometry of stored records, by id."""

    def delete(self, layer: Layer, ids: Sequence[str]) -> None:
        """Delete stored records by id."""

    def append_history(
        self,
        layer: Layer,
        operation: Operation,
        *,
        actor: str,
        at: str,
        before: Sequence[Record] | None,
        after: Sequence[Record] | None,
    ) -> None:
        """Append one history entry per record (``before`` and ``after`` aligned)."""

    def last_operations(self, layer: Layer, ids: Sequence[str]) -> dict[str, Operation]:
        """Return the operation of the last history entry of each of ``ids`` that has one."""
        ...

    def insert_photos(self, photos: Sequence[PhotoData]) -> None:
        """Store inspection photos (a taken photo id is a DuplicateIdError)."""


class TokenBook(Protocol):
    """Where a store keeps API tokens: their SHA-256 hashes, never the tokens themselves."""

    def add(self, *, name: str, role: str, token_hash: str) -> TokenRecord:
        """Store a new token's hash with its holder's name and role."""
        ...

    def records(self) -> list[TokenRecord]:
        """Return every token record (revoked ones too), ordered by id."""
        ...

    def find(self, token_hash: str) -> TokenRecord | None:
        """Return the token record with this hash, or None."""
        ...

    def revoke(self, token_id: int) -> TokenRecord:
        """Mark a token revoked (idempotent); NotFoundError for an unknown id."""
        ...


class AccountBook(Protocol):
    """Where a store keeps staff accounts, their sign-in failures and their sessions.

    It stores and returns what it is given and enforces no rule: hashing,
    lockout and expiry live in :mod:`geo.accounts`. Usernames compare exactly.
    """

    def add(self, *, username: str, role: str, password_hash: str) -> AccountRecord:
        """Store a new account; DuplicateIdError when the username is taken."""
        ...

    def find(self, username: str) -> AccountRecord | None:
        """Return the account with this username, or None."""
        ...

    def by_id(self, account_id: int) -> AccountRecord | None:
        """Return the account with this id, or None."""
        ...

    def records(self) -> list[AccountRecord]:
        """Return every account (disabled ones too), ordered by username."""
        ...

    def update(
        self,
        username: str,
        *,
        role: str | None = None,
        password_hash: str | None = None,
        disabled_at: str | None = None,
        enable: bool = False,
    ) -> AccountRecord:
        """Change the given fields (``enable`` clears ``disabled_at``); NotFoundError if absent."""
        ...

    def add_failure(self, *, username: str, address: str, at: str) -> None:
        """Record one failed sign-in for ``username`` from ``address``."""

    def count_failures(self, *, username: str, address: str, since: str) -> tuple[int, int]:
        """Return the failures since ``since`` (inclusive) for the username and for the address."""
        ...

    def clear_failures(self, username: str) -> None:
        """Forget the failures recorded for ``username`` (after a good sign-in)."""

    def open_session(self, record: SessionRecord) -> None:
        """Store a new session."""

    def find_session(self, session_hash: str) -> SessionRecord | None:
        """Return the session with this hash, or None."""
        ...

    def touch_session(self, session_hash: str, at: str) -> None:
        """Set the session's ``seen_at``."""

    def close_session(self, session_hash: str) -> None:
        """Delete one session (idempotent)."""

    def close_sessions(self, account_id: int) -> None:
        """Delete every session of an account (on disable and password change)."""


class PhotoBook(Protocol):
    """Where a store keeps inspection photos; :mod:`geo.writes` adds them in a transaction."""

    def of_inspections(self, inspection_ids: Sequence[str]) -> dict[str, list[PhotoRecord]]:
        """Return the photos of each of ``inspection_ids`` that has any, oldest first."""
        ...

    def content(self, photo_id: str, *, thumbnail: bool = False) -> tuple[PhotoRecord, bytes]:
        """Return a photo's record and its image (or thumbnail); NotFoundError if absent."""
        ...


class ObservationBook(Protocol):
    """Where a store keeps hourly air-quality readings (:mod:`geo.store.observation_rows`).

    Rows are (station_id, UTC ISO time, pm25, pm10, so2, no2, o3, co, wd_deg,
    ws_ms); validation lives in :mod:`geo.air.observations`.
    """

    def upsert(self, rows: Sequence[tuple[Any, ...]], *, dry_run: bool = False) -> tuple[int, int]:
        """Insert or overwrite hours by (station, time) in one transaction; (inserted, updated)."""
        ...

    def read(
        self, station_id: str, *, start: str | None = None, end: str | None = None
    ) -> pd.DataFrame:
        """Return a station's hours with ``start <= time < end`` (UTC ISO text), by time."""
        ...

    def count(self, station_id: str | None = None) -> int:
        """Return how many hours are stored (of one station, or of all)."""
        ...


@runtime_checkable
class Store(Protocol):
    """A ledger backend. All methods are transactional and all-or-nothing."""

    url: str

    @property
    def tokens(self) -> TokenBook:
        """Where this store keeps API tokens."""
        ...

    @property
    def accounts(self) -> AccountBook:
        """Where this store keeps staff accounts and their sessions."""
        ...

    @property
    def photos(self) -> PhotoBook:
        """Where this store keeps inspection photos."""
        ...

    @property
    def observations(self) -> ObservationBook:
        """Where this store keeps hourly air-quality readings."""
        ...

    def init_schema(self) -> None:
        """Create every layer's table (and indexes) if missing."""

    def close(self) -> None:
        """Release connections and file handles."""

    def is_empty(self) -> bool:
        """Return True when the store holds no sources and no stations."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """Return the context of one write transaction (see :mod:`geo.writes`).

        The block's writes are committed when it ends normally and rolled back,
        nothing written, when it raises.
        """
        ...

    def count(self, layer: str, *, query: Query | None = None) -> int:
        """Return how many features of ``layer`` match ``query``."""

    def read(self, layer: str, *, query: Query | None = None) -> pd.DataFrame:
        """Return matching features as a (Geo)DataFrame ordered by ``id``."""

    def get(self, layer: str, fid: str) -> Feature:
        """Return one feature; raise NotFoundError if absent."""

    def history(self, layer: str, fid: str) -> list[HistoryEntry]:
        """Return the changes to one feature, oldest first."""

    def within(
        self, layer: str, lon: float, lat: float, *, radius_m: float
    ) -> pd.DataFrame:
        """Return features within ``radius_m`` of (lon, lat), nearest first.

        The frame has a ``distance_m`` column (geodesic, minimum distance).
        """

    def change_token(self) -> Hashable:
        """Return a value that differs once any change to the ledger has been committed.

        Changes by any process count (this service, the CLI, QGIS on the same
        GeoPackage, another server on the same database). Read it before
        reading data to cache: a commit racing with the read then costs one
        more rebuild, never a stale answer.
        """
        ...

    def flag_priority(
        self, *, radius_m: float | None = None, ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Flag every source against every station.

        Returns one row per source with ``id``, ``priority`` (not closed and
        inside some station's radius), ``recheck`` (closed and inside),
        ``nearest_station``, ``distance_m`` and ``stations`` (list of ids),
        ordered by ``id``. ``radius_m`` overrides every station's radius;
        ``ids`` keeps only the sources with those ids (unknown ids are
        skipped), e.g. one page of sources.
        """

    def history_until(self, layer: str, until: str) -> list[HistoryEntry]:
        """Return, per feature of ``layer``, its last change at or before ``until``.

        ``until`` is an ISO 8601 UTC timestamp (``2026-05-01T23:59:59.999Z``);
        entries are ordered by ``fid``. A feature whose last entry is a delete
        is included (with ``after`` None) so callers can tell it was gone.
        """
