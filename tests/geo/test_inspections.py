"""Sources follow their inspections: recording, editing, moving, deleting, importing."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely import Point

from geo import writes
from geo.errors import ValidationError
from geo.io.importer import import_file
from geo.ledger import Feature
from geo.store import Store

ACTOR = "测试"


def _sources(store: Store, *fids: str) -> None:
    for fid in fids:
        writes.create(store, "sources", Feature(fid, {"name": fid, "category": "catering"},
                                        Point(113.65, 34.75)), actor=ACTOR)


def _inspect(store: Store, fid: str, source_id: str, day: str, result: str = "compliant"):
    props = {"source_id": source_id, "date": day, "round": 1, "result": result}
    return writes.record_inspection(store, Feature(fid, props), actor=ACTOR)


def _last(store: Store, source_id: str) -> str | None:
    return store.get("sources", source_id).properties["last_inspected"]


def test_editing_an_inspection_date_recomputes_last_inspected(store: Store) -> None:
    _sources(store, "S-1")
    _inspect(store, "I-1", "S-1", "2026-04-01")
    latest = _inspect(store, "I-2", "S-1", "2026-05-01")
    assert _last(store, "S-1") == "2026-05-01"
    writes.update(store, "inspections", latest.id, {"date": "2026-03-01"},
                   expected_version=1, actor=ACTOR)
    assert _last(store, "S-1") == "2026-04-01"


def test_moving_an_inspection_recomputes_both_sources(store: Store) -> None:
    _sources(store, "S-1", "S-2")
    _inspect(store, "I-1", "S-1", "2026-04-01")
    moved = _inspect(store, "I-2", "S-1", "2026-05-01")
    writes.update(store, "inspections", moved.id, {"source_id": "S-2"}, expected_version=1,
                   actor=ACTOR)
    assert (_last(store, "S-1"), _last(store, "S-2")) == ("2026-04-01", "2026-05-01")


def test_deleting_inspections_recomputes_and_empties_last_inspected(store: Store) -> None:
    _sources(store, "S-1")
    _inspect(store, "I-1", "S-1", "2026-04-01")
    _inspect(store, "I-2", "S-1", "2026-05-01")
    writes.delete(store, "inspections", "I-2", expected_version=1, actor=ACTOR)
    assert _last(store, "S-1") == "2026-04-01"
    writes.delete(store, "inspections", "I-1", expected_version=None, actor=ACTOR)
    assert _last(store, "S-1") is None
    assert [e.operation for e in store.history("inspections", "I-1")] == ["create", "delete"]


def test_an_edit_making_a_closed_down_inspection_the_latest_closes_the_source(
    store: Store,
) -> None:
    _sources(store, "S-1")
    _inspect(store, "I-1", "S-1", "2026-05-01")
    early = _inspect(store, "I-2", "S-1", "2026-04-01", result="closed_down")
    assert store.get("sources", "S-1").properties["status"] == "operating"
    writes.update(store, "inspections", early.id, {"date": "2026-06-01"}, expected_version=1,
                   actor=ACTOR)
    props = store.get("sources", "S-1").properties
    assert (props["status"], props["last_inspected"]) == ("closed", "2026-06-01")


def test_moving_to_an_unknown_source_is_refused_before_anything_is_written(
    store: Store,
) -> None:
    _sources(store, "S-1")
    inspection = _inspect(store, "I-1", "S-1", "2026-04-01")
    with pytest.raises(ValidationError, match="no source 'S-none'") as info:
        writes.update(store, "inspections", inspection.id, {"source_id": "S-none"},
                       expected_version=1, actor=ACTOR)
    assert info.value.field == "source_id"
    assert store.get("inspections", "I-1").version == 1


@pytest.mark.parametrize("mode", ["append", "upsert", "replace"])
def test_importing_inspections_recomputes_their_sources(
    store: Store, tmp_path: Path, mode: str
) -> None:
    _sources(store, "S-1", "S-2")
    _inspect(store, "I-old", "S-2", "2026-02-01")
    path = tmp_path / "visits.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, '
        '"properties": {"id": "I-new", "source_id": "S-1", "date": "2026-03-01", '
        '"result": "compliant"}}]}', encoding="utf-8")
    import_file(store, path, layer="inspections", mode=mode, actor=ACTOR)
    assert _last(store, "S-1") == "2026-03-01"
    assert _last(store, "S-2") == (None if mode == "replace" else "2026-02-01")
