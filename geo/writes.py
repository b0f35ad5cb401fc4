"""The ledger's write workflows, written once for every store.

Each workflow runs in one store transaction (``with store.transaction() as
tx``) over the primitives of :class:`geo.store.base.Transaction`: it reads
the rows it is about to change, checks every rule (the ledger model, ids,
versions, deleted ids), stamps ``version`` and ``updated_at``, writes the
rows, appends their history and keeps sources in step with their
inspections — all committed together or not at all. Stores only move rows;
no rule of the ledger lives in their SQL.

The inspection rules themselves (what an inspection does to its source)
are :func:`geo.inspections.inspection_effect` and
:func:`geo.inspections.recomputed_effect`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import (
    DeletedIdError,
    DuplicateIdError,
    NotFoundError,
    ValidationError,
)
from geo.inspections import inspection_effect, recomputed_effect
from geo.ledger import SYSTEM_FIELDS, Feature, Layer, get_layer, now_utc, validate_id
from geo.photos import CleanPhoto, photo_data
from geo.store.base import PhotoData, Query, Store, Transaction, WriteMode, WriteSummary
from geo.store.records import (
    Record,
    check_version,
    merged_record,
    new_record,
    prepare_records,
    refuse_id_change,
)

__all__ = [
    "create",
    "create_with_inspection",
    "delete",
    "photo_key",
    "record_inspection",
    "update",
    "write_frame",
]

_MODES = ("append", "upsert", "replace")
_SHOWN_IDS = 5  # ids named in one message


def create(store: Store, layer: str, feature: Feature, *, actor: str,
           photos: Sequence[CleanPhoto] = (),
           also: Sequence[tuple[str, Feature]] = ()) -> Feature:
    """Validate and store one new feature; an inspection also updates its source.

    Parameters
    ----------
    store : Store
        The ledger.
    layer : str
        Layer name.
    feature : Feature
        The new feature; an id is assigned when ``feature.id`` is None.
    actor : str
        Who creates it, for the history.
    photos : sequence of CleanPhoto
        An inspection's photos (:func:`geo.photos.clean_photo`), stored in
        the same transaction: the inspection and its photos, or nothing.
    also : sequence of (layer, Feature)
        Further new features stored in the same transaction, such as the
        case a failed inspection opens (:func:`geo.cases.case_feature`).

    Returns
    -------
    Feature
        The feature as stored (``version`` 1, ``updated_at`` set).

    Raises
    ------
    ValidationError
        When the feature breaks the ledger model.
    DuplicateIdError
        When the id is taken.
    DeletedIdError
        When the id belonged to a deleted feature of the layer.

    Examples
    --------
    >>> from shapely import Point  # doctest: +SKIP
    >>> create(store, "sources", Feature(None, {"name": "老王烧烤", "category": "bbq"},
    ...        Point(113.6, 34.75)), actor="张三").version  # doctest: +SKIP
    1
    """
    target = get_layer(layer)
    if feature.id is not None:
        feature = Feature(validate_id(feature.id), feature.properties, feature.geometry)
    record = new_record(target, feature)
    record, rows = _with_photos(target, record, photos, version=1)
    extra = _new_records(also)
    at = now_utc()
    with store.transaction() as tx:
        _refuse_taken(tx, target, [record.fid])
        source = None
        if target.name == "inspections":
            source = _source_of(tx, str(record.properties["source_id"]), recorded=True)
        stored = _stamp(record, version=1, at=at)
        tx.insert(target, [stored])
        tx.append_history(target, "create", actor=actor, at=at, before=None, after=[stored])
        tx.insert_photos(rows)
        _insert_new(tx, extra, actor=actor, at=at)
        if source is not None:
            _apply_effect(tx, source, inspection_effect(source.properties, record.properties),
                          actor=actor, at=at)
        return _reread(tx, target, record.fid)


def record_inspection(store: Store, inspection: Feature, *, actor: str,
                      photos: Sequence[CleanPhoto] = (),
                      also: Sequence[tuple[str, Feature]] = ()) -> Feature:
    """Store an inspection with its photos and bring its source up to date, in one transaction.

    ``last_inspected`` moves forward to the inspection's date when that is
    not earlier, a ``closed_down`` result closes the source, and the
    purifier state seen becomes the source's
    (:func:`geo.inspections.inspection_effect`). ``also`` are further new
    features stored in the same transaction (the case a violation opens).

    Raises
    ------
    NotFoundError
        When ``source_id`` names no source.
    ValidationError
        When a field breaks the ledger model.
    """
    return create(store, "inspections", inspection, actor=actor, photos=photos, also=also)


def create_with_inspection(store: Store, source: Feature,
                           inspection_properties: Mapping[str, Any], *, actor: str,
                           also: Sequence[tuple[str, Feature]] = ()) -> Feature:
    """Store a new source and its first inspection in one transaction: both, or nothing.

    The inspection (its ``source_id`` is the new source's) then works on its
    source as any inspection does (:func:`geo.inspections.inspection_effect`):
    ``last_inspected`` becomes its date and a ``closed_down`` result closes
    the source. This is a patrol's "new stall found here".

    Parameters
    ----------
    store : Store
        The ledger.
    source : Feature
        The new source; an id is assigned when ``source.id`` is None.
    inspection_properties : mapping
        The inspection's fields (``date``, ``result``, ``round``, ``inspector`` ...);
        a ``source_id`` given is replaced by the new source's id.
    actor : str
        Who records them, for the history.
    also : sequence of (layer, Feature)
        Further new features stored in the same transaction (the case a
        patrol opens for a stall still operating; give the source an id
        for the case's ``source_id`` to name).

    Returns
    -------
    Feature
        The source as stored, the inspection's effect applied.

    Raises
    ------
    ValidationError
        When the source or the inspection breaks the ledger model.
    DuplicateIdError, DeletedIdError
        When an id given is taken or belonged to a deleted feature.

    Examples
    --------
    >>> from shapely import Point  # doctest: +SKIP
    >>> create_with_inspection(store, Feature(None, {"name": "烧烤摊", "category": "bbq"},
    ...     Point(113.6, 34.75)), {"date": "2026-05-01", "result": "closed_down"},
    ...     actor="张三").properties["status"]  # doctest: +SKIP
    'closed'
    """
    sources, inspections = get_layer("sources"), get_layer("inspections")
    if source.id is not None:
        source = Feature(validate_id(source.id), source.properties, source.geometry)
    record = new_record(sources, source)
    fields = {k: v for k, v in inspection_properties.items() if k != "id"}
    visit = new_record(inspections, Feature(inspection_properties.get("id"),
                                            {**fields, "source_id": record.fid}))
    extra = _new_records(also)
    at = now_utc()
    with store.transaction() as tx:
        _insert_new(tx, [(sources, record), (inspections, visit), *extra], actor=actor, at=at)
        created = _source_of(tx, record.fid, recorded=True)
        _apply_effect(tx, created, inspection_effect(created.properties, visit.properties),
                      actor=actor, at=at)
        return _reread(tx, sources, record.fid)


def update(
    store: Store,
    layer: str,
    fid: str,
    properties: Mapping[str, Any],
    geometry: BaseGeometry | None = None,
    *,
    expected_version: int | None,
    actor: str,
    photos: Sequence[CleanPhoto] = (),
) -> Feature:
    """Replace the given fields (and the geometry when not None) of one feature.

    An edit that changes nothing is not written: the version stays and no
    history entry is added. Changing an inspection recomputes the source(s)
    it belongs to and leaves, in the same transaction.

    Parameters
    ----------
    store : Store
        The ledger.
    layer, fid : str
        Which feature.
    properties : mapping
        New field values, merged over the stored ones; ``id`` never changes.
    geometry : shapely geometry, optional
        New lon/lat geometry; None keeps the stored one.
    expected_version : int or None
        The version the caller changes (None: any).
    actor : str
        Who changes it, for the history.
    photos : sequence of CleanPhoto
        A case step's photos, stored with the change (see :func:`photo_key`).

    Returns
    -------
    Feature
        The feature as stored.

    Raises
    ------
    NotFoundError
        For an unknown id.
    VersionMismatchError
        When ``expected_version`` is not the stored version (with ``current_version``).
    ValidationError
        When the result breaks the ledger model; nothing is written.
    """
    target = get_layer(layer)
    fid = str(fid)
    refuse_id_change(fid, properties)
    with store.transaction() as tx:
        before = _current(tx, target, fid, expected_version)
        merged = merged_record(target, before, before.fid, properties, geometry)
        if _same(target, before, merged):
            return _feature(before)
        at = now_utc()
        merged, rows = _with_photos(target, merged, photos, version=_next_version(before))
        after = _stamp(merged, version=_next_version(before), at=at)
        if target.name == "inspections":
            _source_of(tx, str(after.properties["source_id"]))
        tx.update(target, [after])
        tx.insert_photos(rows)
        tx.append_history(target, "update", actor=actor, at=at, before=[before], after=[after])
        if target.name == "inspections":
            sources = {str(before.properties.get("source_id")), str(after.properties["source_id"])}
            _refresh_sources(tx, sources, actor=actor, at=at, changed=after.properties)
        return _reread(tx, target, fid)


def delete(
    store: Store, layer: str, fid: str, *, expected_version: int | None, actor: str
) -> None:
    """Delete one feature (its history stays); deleting an inspection recomputes its source.

    Raises
    ------
    NotFoundError
        For an unknown id.
    VersionMismatchError
        When ``expected_version`` is stale.
    """
    target = get_layer(layer)
    with store.transaction() as tx:
        before = _current(tx, target, str(fid), expected_version)
        at = now_utc()
        tx.delete(target, [before.fid])
        tx.append_history(target, "delete", actor=actor, at=at, before=[before], after=None)
        if target.name == "inspections":
            _refresh_sources(tx, {str(before.properties.get("source_id"))}, actor=actor, at=at)


def write_frame(
    store: Store, layer: str, frame: pd.DataFrame, *, mode: WriteMode, actor: str
) -> WriteSummary:
    """Write the rows of ``frame`` in one transaction, all or nothing.

    Parameters
    ----------
    store : Store
        The ledger.
    layer : str
        Layer name.
    frame : DataFrame or GeoDataFrame
        One row per feature with the layer's fields (and geometry); rows
        without an id get a new one. Every row is validated first.
    mode : {"append", "upsert", "replace"}
        ``append`` inserts (a taken id is a DuplicateIdError, the id of a
        deleted feature a DeletedIdError), ``upsert`` inserts or replaces
        whole records by id (version + 1; restoring a deleted feature is an
        upsert), ``replace`` empties the layer first.
    actor : str
        Who writes, for the history.

    Returns
    -------
    WriteSummary
        How many features were inserted, updated and deleted.

    Raises
    ------
    ValidationError
        Naming up to five bad rows; nothing is written.
    """
    target = get_layer(layer)
    if mode not in _MODES:
        raise ValidationError(f"mode {mode!r} is not one of {', '.join(_MODES)}", field="mode")
    records = prepare_records(target, frame)
    at = now_utc()
    with store.transaction() as tx:
        tx.lock(target)  # bulk writers take turns: what is read below stays true until commit
        gone = tx.select(target, Query()) if mode == "replace" else []
        if gone:
            tx.delete(target, [r.fid for r in gone])
            tx.append_history(target, "delete", actor=actor, at=at, before=gone, after=None)
        stored = {} if mode == "replace" else tx.rows(target, [r.fid for r in records])
        if mode == "append":
            _refuse_taken(tx, target, [r.fid for r in records], stored=stored)
        olds = [stored[r.fid] for r in records if r.fid in stored]
        news = [_stamp(r, version=1, at=at) for r in records if r.fid not in stored]
        changed = [_stamp(r, version=_next_version(stored[r.fid]), at=at)
                   for r in records if r.fid in stored]
        tx.update(target, changed)
        tx.insert(target, news)
        tx.append_history(target, "update", actor=actor, at=at, before=olds, after=changed)
        tx.append_history(target, "create", actor=actor, at=at, before=None, after=news)
        if target.name == "inspections":
            touched = {str(r.properties.get("source_id")) for r in [*records, *olds, *gone]}
            _refresh_sources(tx, touched, actor=actor, at=at)
    return WriteSummary(inserted=len(news), updated=len(changed), deleted=len(gone))


def photo_key(fid: str, version: int) -> str:
    """Return the key a case's photos are stored under: the case and the version its step made.

    Each step of a case (report, handle, verify ...) is one version of it,
    so the key names the step; the case's ``last_photos`` holds it.

    Examples
    --------
    >>> photo_key("C-1", 3)
    'C-1.v3'
    """
    return f"{fid}.v{version}"


# -- rules ---------------------------------------------------------------------------------


def _new_records(features: Sequence[tuple[str, Feature]]) -> list[tuple[Layer, Record]]:
    """Validate new features of any layers (ids checked, assigned when None)."""
    made = []
    for name, feature in features:
        layer = get_layer(name)
        if layer.name == "inspections":  # its effect on its source is create()'s to apply
            raise ValidationError("an inspection is stored by create or record_inspection, "
                                  "not alongside another feature", field="also")
        if feature.id is not None:
            feature = Feature(validate_id(feature.id), feature.properties, feature.geometry)
        made.append((layer, new_record(layer, feature)))
    return made


def _insert_new(tx: Transaction, records: Sequence[tuple[Layer, Record]], *, actor: str,
                at: str) -> None:
    """Insert validated new records at version 1, each with its create history entry."""
    for layer, new in records:
        _refuse_taken(tx, layer, [new.fid])
        stored = _stamp(new, version=1, at=at)
        tx.insert(layer, [stored])
        tx.append_history(layer, "create", actor=actor, at=at, before=None, after=[stored])


def _with_photos(layer: Layer, record: Record, photos: Sequence[CleanPhoto], *,
                 version: int) -> tuple[Record, list[PhotoData]]:
    """Return the record as it will be stored with ``photos``, and the photos' rows.

    An inspection's photos are keyed by its id; a case's by the step
    (:func:`photo_key`), which the case's ``last_photos`` names (None for a
    step without photos). No other layer carries photos.
    """
    if layer.name == "cases":
        key = photo_key(record.fid, version) if photos else None
        record = record._replace(properties={**record.properties, "last_photos": key})
        return record, photo_data(key, photos) if key else []
    if photos and layer.name != "inspections":
        raise ValidationError("only an inspection or a case carries photos", field="photos")
    return record, photo_data(record.fid, photos)


def _refuse_taken(
    tx: Transaction, layer: Layer, ids: Sequence[str], *, stored: Mapping[str, Record] | None = None
) -> None:
    """Refuse ids that are taken, or that belonged to deleted features (their history stays)."""
    taken = sorted(stored if stored is not None else tx.rows(layer, ids))
    if taken:
        shown = _shown(taken)
        if len(ids) == 1:
            raise DuplicateIdError(f"id {taken[0]!r} already exists in layer {layer.name!r}")
        raise DuplicateIdError(f"id(s) already exist in layer {layer.name!r}: {shown}; "
                               "use mode 'upsert' to update them")
    gone = sorted(fid for fid, op in tx.last_operations(layer, ids).items() if op == "delete")
    if gone:
        # The deleted feature's history (and a source's inspections) stay under its id, so
        # an unrelated feature created under it would inherit them.
        raise DeletedIdError(
            f"id(s) {_shown(gone)} belonged to deleted feature(s) of layer {layer.name!r} whose "
            "history is kept; choose another id (or, to restore the same feature, import it "
            "with mode 'upsert')")


def _current(tx: Transaction, layer: Layer, fid: str, expected_version: int | None) -> Record:
    """Return the stored record about to change, its version checked."""
    found = tx.rows(layer, [fid])
    if fid not in found:
        raise NotFoundError(f"no feature {fid!r} in layer {layer.name!r}")
    record = found[fid]
    check_version(layer, fid, record.properties.get("version"), expected_version)
    return record


def _same(layer: Layer, before: Record, after: Record) -> bool:
    """Whether ``after`` stores what ``before`` holds, both as the ledger model normalises them."""
    try:
        before = merged_record(layer, before, before.fid, {})
    except ValidationError:
        return False  # a stored record the model now refuses: the write will say why
    old = {k: v for k, v in before.properties.items() if k not in SYSTEM_FIELDS}
    new = {k: v for k, v in after.properties.items() if k not in SYSTEM_FIELDS}
    if old != new:
        return False
    if before.geometry is None or after.geometry is None:
        return before.geometry is after.geometry
    return bool(shapely.equals_exact(before.geometry, after.geometry, tolerance=0.0))


def _stamp(record: Record, *, version: int, at: str) -> Record:
    return record._replace(properties={**record.properties, "version": version, "updated_at": at})


def _next_version(record: Record) -> int:
    return int(record.properties.get("version") or 0) + 1


# -- inspections and their sources ---------------------------------------------------------


def _source_of(tx: Transaction, source_id: str, *, recorded: bool = False) -> Record:
    """Return the source an inspection names.

    An unknown source is a NotFoundError when an inspection is recorded for it
    (the source is what is missing) and a ValidationError on ``source_id`` when
    an inspection is edited to name it (the edit is what is wrong).
    """
    found = tx.rows(get_layer("sources"), [source_id])
    if source_id in found:
        return found[source_id]
    if recorded:
        raise NotFoundError(f"no source {source_id!r} to inspect")
    raise ValidationError(f"field 'source_id': no source {source_id!r} to inspect",
                          field="source_id")


def _apply_effect(
    tx: Transaction, source: Record, changes: Mapping[str, Any], *, actor: str, at: str
) -> None:
    """Write ``changes`` to a source, with its history entry (nothing when empty)."""
    if not changes:
        return
    sources = get_layer("sources")
    merged = merged_record(sources, source, source.fid, changes)
    after = _stamp(merged, version=_next_version(source), at=at)
    tx.update(sources, [after])
    tx.append_history(sources, "update", actor=actor, at=at, before=[source], after=[after])


def _refresh_sources(
    tx: Transaction,
    source_ids: Iterable[str],
    *,
    actor: str,
    at: str,
    changed: Mapping[str, Any] | None = None,
) -> None:
    """Recompute sources from the inspections they now have (deleted sources are skipped).

    ``changed`` is the inspection just written, whose ``closed_down`` may close its source.
    """
    wanted = sorted(set(source_ids))
    sources = tx.rows(get_layer("sources"), wanted)
    if not sources:
        return
    visits: dict[str, list[dict[str, Any]]] = {}
    query = Query(filters={"source_id": sorted(sources)})
    for visit in tx.select(get_layer("inspections"), query):
        visits.setdefault(str(visit.properties["source_id"]), []).append(visit.properties)
    for fid, source in sorted(sources.items()):
        latest = changed if changed and changed.get("source_id") == fid else None
        effect = recomputed_effect(source.properties, visits.get(fid, []), changed=latest)
        _apply_effect(tx, source, effect, actor=actor, at=at)


# -- answers -------------------------------------------------------------------------------


def _reread(tx: Transaction, layer: Layer, fid: str) -> Feature:
    """Return the feature as the store now holds it (what a later read will answer)."""
    return _feature(tx.rows(layer, [fid])[fid])


def _feature(record: Record) -> Feature:
    return Feature(record.fid, dict(record.properties), record.geometry)


def _shown(ids: Sequence[str]) -> str:
    return ", ".join(map(repr, ids[:_SHOWN_IDS])) + (" ..." if len(ids) > _SHOWN_IDS else "")
