"""FastAPI dependencies: the store and settings the app was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.settings import Settings
from geo.store import Store

__all__ = ["SettingsDep", "StoreDep", "get_settings", "get_store"]


def get_store(request: Request) -> Store:
    """Return the store the app opened (or was given) at start-up."""
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    """Return the settings the app was built with."""
    return request.app.state.settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
