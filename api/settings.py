"""Zonewatch settings, read from ``ZONEWATCH_*`` environment variables.

Built once by whoever starts Zonewatch (the CLI, ``create_app``); never at
import time.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Every setting Zonewatch reads; ``ZONEWATCH_STORE`` selects the store."""

    model_config = SettingsConfigDict(env_prefix="ZONEWATCH_", extra="ignore")

    store: str = Field(
        "zonewatch.gpkg",
        description="A .gpkg file path (embedded default) or a postgresql:// URL",
    )
    pg_schema: str = Field(
        "zonewatch", description="PostgreSQL schema of the ledger (PostGIS store only)"
    )
    host: str = Field("127.0.0.1", description="Address the HTTP service listens on")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP service listens on")
    seed_demo: bool = Field(
        True, description="Seed an empty store with the Zhongyuan demo ledger on start-up"
    )
    max_radius_m: float = Field(
        50_000.0, gt=0, description="Largest radius, in metres, a query may ask for"
    )
    read_requires_token: bool = Field(
        False, description="Reads need a viewer (or higher) token; writes always need editor"
    )
    allow_if_match_any: bool = Field(
        False, description="Let If-Match: * change a feature whatever its version (no "
        "lost-update protection); off, every change needs the feature's ETag"
    )
    max_upload_bytes: int = Field(
        50 * 1024 * 1024, gt=0, description="Largest file POST /import accepts, in bytes"
    )
    max_unzipped_bytes: int = Field(
        500 * 1024 * 1024, gt=0, description="Largest total size a zip upload may unpack to"
    )
    photo_max_bytes: int = Field(
        10 * 1024 * 1024, gt=0, description="Largest inspection photo taken, in bytes"
    )
    session_idle_minutes: float = Field(
        120, gt=0, description="A signed-in browser session ends after this many idle minutes"
    )
    signin_max_failures: int = Field(
        10, ge=1, description="Failed sign-ins, per account and per address, that lock it"
    )
    signin_lock_minutes: int = Field(
        15, ge=1, description="How long those failures count and the lock lasts, in minutes"
    )
    tile_url: str | None = Field(
        None, description="XYZ tile URL template of an intranet tile server (basemap=local)"
    )
    tile_datum: str = Field(
        "wgs84", pattern="^(wgs84|gcj02)$", description="Datum of tile_url's tiles"
    )
    tianditu_key: str | None = Field(
        None, description="Tianditu key for basemap=tianditu (stays on the server)"
    )
    basemap_file: str | None = Field(
        None, description="An .mbtiles or .pmtiles file served as the offline basemap "
        "(basemap=file, the default when set); raster or vector tiles"
    )
    basemap_file_datum: str = Field(
        "wgs84", pattern="^(wgs84|gcj02)$", description="Datum of basemap_file's tiles "
        "(gcj02 for maps drawn from Amap data); also read from ZONEWATCH_BASEMAP_DATUM",
        validation_alias=AliasChoices("basemap_file_datum", "zonewatch_basemap_file_datum",
                                      "zonewatch_basemap_datum"),
    )
    report_unit: str = Field(
        "", max_length=120, pattern=r"^[^\x00-\x1f\x7f]*$",
        description="Reporting unit (填报单位) named on every report, e.g. "
        "郑州市中原区城市管理行政执法局; empty leaves a line to fill in by hand",
    )

    @field_validator("basemap_file")
    @classmethod
    def _basemap_file_opens(cls, value: str | None) -> str | None:
        """Refuse at start a basemap file that is not a readable MBTiles or PMTiles file.

        The TileFileError (not a ValueError) passes through pydantic unwrapped, so
        ``zonewatch serve`` says it in one line and exits 1.
        """
        if not value:
            return None
        from maps.tilefiles import open_tile_file

        open_tile_file(value)
        return value
