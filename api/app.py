"""Build the Zonewatch HTTP application.

``create_app(settings, store)`` is the only way in: nothing is built at
import time, and tests pass their own store.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from api.errors import install_error_handlers
from api.head import HeadAsGet
from api.openapi import install_openapi
from api.params import refuse_nul_params
from api.responses import VaryOnAccept
from api.settings import Settings
from geo.store import Store, open_store

__all__ = ["create_app"]

log = logging.getLogger("zonewatch.api")


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Return the FastAPI application.

    Parameters
    ----------
    settings : Settings, optional
        Defaults to ``Settings()`` (read from ``ZONEWATCH_*`` variables).
    store : Store, optional
        An open store to serve; when None the app opens ``settings.store`` on
        start-up, seeds it with the demo ledger if it is empty and
        ``settings.seed_demo`` is set, and closes it on shutdown.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None:
            yield
            return
        opened = _open_and_seed(settings)
        app.state.store = opened
        try:
            yield
        finally:
            opened.close()

    app = FastAPI(
        title="Zonewatch",
        version="0.1.0",
        summary="Pollution sources within the radius of air-quality monitoring points",
        openapi_url="/api",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    if store is not None:
        app.state.store = store
    install_error_handlers(app)
    _include_routes(app)
    install_openapi(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(VaryOnAccept)
    return app


def _open_and_seed(settings: Settings) -> Store:
    opened = open_store(settings.store, pg_schema=settings.pg_schema)
    if settings.seed_demo and opened.is_empty():
        from geo.demo import load_demo

        counts = load_demo(opened)
        log.info("seeded empty store %s with the demo ledger: %s", opened.url, counts)
    return opened


def _include_routes(app: FastAPI) -> None:
    from api.auth import protect_reads
    from api.pages import (
        admin_users,
        case_list,
        case_pages,
        case_report,
        import_page,
        inspection_edit,
        inspection_list,
        inspection_pages,
        ledger_list,
        patrol,
        rounds,
        signin,
        source_pages,
        station_pages,
    )
    from api.routes import air as air_routes
    from api.routes import case_reports as case_report_routes
    from api.routes import cases as case_routes
    from api.routes import docs, edits, features, history, imports, inspections, radius
    from api.routes import maps as map_routes
    from api.routes import observations as observation_routes
    from api.routes import reports as report_routes

    protect_reads(app)  # before any router: every route checks read access
    # one rule for every route, before any value reaches a store (both stores answer alike)
    app.router.dependencies.append(Depends(refuse_nul_params))
    app.include_router(edits.router)
    app.include_router(case_routes.router)  # /cases/types before any /cases/{id} page
    app.include_router(history.router)
    app.include_router(inspections.router)
    app.include_router(imports.router)
    app.include_router(features.router)
    app.include_router(radius.router)
    app.include_router(report_routes.router)
    app.include_router(case_report_routes.router)
    app.include_router(observation_routes.router)  # before /stations/{sid} pages
    app.include_router(air_routes.router)  # before /stations/{sid} pages
    app.include_router(map_routes.router)
    app.include_router(docs.router)
    app.include_router(signin.router)
    app.include_router(ledger_list.router)
    app.include_router(inspection_pages.router)
    app.include_router(import_page.router)
    app.include_router(admin_users.router)
    app.include_router(rounds.router)
    app.include_router(patrol.router)
    app.include_router(inspection_list.router)
    app.include_router(inspection_edit.router)
    app.include_router(station_pages.router)  # /stations/new before /stations/{sid}
    app.include_router(source_pages.router)  # after every fixed /ledger/... path
    app.include_router(case_list.router)
    app.include_router(case_report.router)  # /cases/new before the /cases/{fid} page
    app.include_router(case_pages.router)
