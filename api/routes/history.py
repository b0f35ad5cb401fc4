"""History of a feature and time travel (``as_of=YYYY-MM-DD``) on items and /priority."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Path, Request, Response

from api.collections import Collection, get_collection
from api.deps import StoreDep
from api.pages.record_pages import PageFormat, answer_format, history_page
from api.responses import json_response
from api.schemas import STORED_COLLECTION_IDS, FeatureHistory, answers, enum_of, read_extra
from geo import history
from geo.errors import InputError, NotFoundError
from geo.store import Query, Store

__all__ = ["as_of_page", "router"]

# Handlers answer Response objects; the media types documented are those each route declares.
router = APIRouter(tags=["History"], default_response_class=Response)


@router.get("/collections/{cid}/items/{fid}/history", summary="Changes to one feature",
            openapi_extra=read_extra(),
            responses=answers(FeatureHistory, html=True, errors=(400, 401, 403, 404)))
def item_history(
    request: Request,
    store: StoreDep,
    cid: Annotated[str, Path(description="sources, stations or inspections",
                             json_schema_extra=enum_of(STORED_COLLECTION_IDS))],
    fid: Annotated[str, Path(description="Feature id, e.g. S00001")],
    f: PageFormat = None,
) -> Response:
    """Every change to a feature, oldest first: who, when, operation, before and after.

    ``before``/``after`` hold ``properties`` and the geometry as WKT (lon/lat);
    a deleted feature keeps its history. A browser gets the page of it
    (newest first, each changed field from what to what).
    """
    fmt = answer_format(request, f)
    collection = get_collection(cid)
    if collection.layer is None:
        raise NotFoundError(f"collection {cid!r} is derived and has no history")
    entries = store.history(collection.layer, fid)
    if not entries:
        raise NotFoundError(f"no history for {fid!r} in collection {cid!r}")
    if fmt == "html":
        return history_page(request, collection_id=cid, layer=collection.layer, fid=fid,
                            entries=entries)
    changes = [
        {"seq": e.seq, "operation": e.operation, "actor": e.actor, "at": e.at,
         "before": e.before, "after": e.after}
        for e in entries
    ]
    return json_response({"collection": cid, "id": fid, "changes": changes})


def as_of_page(
    store: Store, collection: Collection, query: Query, *, priority: bool | None, as_of: str
) -> tuple[pd.DataFrame, int]:
    """Return one page of a collection as it stood at the end of ``as_of`` (UTC day)."""
    if collection.layer is None:
        raise InputError(f"collection {collection.id!r} has no as_of view")
    if collection.layer == "sources":
        frame = history.flagged_as_of(store, day=as_of)
        if priority is not None:
            frame = frame[frame["priority"].fillna(False).astype(bool) == priority]
    else:
        frame = history.read_as_of(store, collection.layer, day=as_of)
    return history.filter_frame(frame, query)
