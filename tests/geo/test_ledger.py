import pytest
import shapely
from shapely import LineString, Point, Polygon

from geo.errors import NotFoundError, ValidationError
from geo.ledger import LAYERS, get_layer, validate_record

ZZ = Point(113.65, 34.75)
SQUARE = Polygon([(113.6, 34.7), (113.61, 34.7), (113.61, 34.71), (113.6, 34.71)])
BOWTIE = Polygon([(113.6, 34.7), (113.61, 34.71), (113.61, 34.7), (113.6, 34.71)])
ROUTE = LineString([(113.6, 34.7), (113.62, 34.72)])


def test_defaults_and_chinese_text():
    props, geom, notes = validate_record(
        "sources", {"name": " 老王烧烤 ", "category": "bbq", "address": "建设西路1号"}, ZZ
    )
    assert props["name"] == "老王烧烤"
    assert props["status"] == "operating"
    assert props["address"] == "建设西路1号"
    assert props["demo"] is False
    assert geom.equals(ZZ) and notes == []


@pytest.mark.parametrize(
    ("props", "field", "match"),
    [
        ({"category": "bbq"}, "name", "'name' is required"),
        ({"name": "x", "category": "cafe"}, "category", "'cafe' is not one of catering"),
        ({"name": "x", "category": "bbq", "status": "open"}, "status", "not one of operating"),
        ({"name": "x", "category": "bbq", "fume_purifier": "yes"}, "fume_purifier", "not one of"),
        ({"name": "x", "category": "bbq", "last_inspected": "2026-13-01"}, "last_inspected",
         "not a valid date"),
        ({"name": "x", "category": "bbq", "colour": "red"}, "colour", "unknown field"),
    ],
    ids=["missing-name", "bad-category", "bad-status", "bad-purifier", "bad-date", "unknown"],
)
def test_bad_fields_are_named(props, field, match):
    with pytest.raises(ValidationError, match=match) as info:
        validate_record("sources", props, ZZ)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("category", "geometry", "ok"),
    [
        ("catering", ZZ, True),
        ("catering", SQUARE, False),
        ("night_market", SQUARE, True),
        ("construction_site", SQUARE, True),
        ("muck_route", ROUTE, True),
        ("muck_route", ZZ, False),
        ("bbq", ROUTE, False),
        ("other", ROUTE, True),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_geometry_type_per_category(category, geometry, ok):
    props = {"name": "x", "category": category}
    if ok:
        validate_record("sources", props, geometry)
    else:
        with pytest.raises(ValidationError, match="is not allowed here"):
            validate_record("sources", props, geometry)


def test_invalid_polygon_refused_or_repaired_when_asked():
    props = {"name": "夜市", "category": "night_market"}
    with pytest.raises(ValidationError, match="invalid geometry: Self-intersection"):
        validate_record("sources", props, BOWTIE)
    _, fixed, notes = validate_record("sources", props, BOWTIE, repair=True)
    assert shapely.is_valid(fixed)
    assert fixed.geom_type == "MultiPolygon"
    assert notes and "repaired" in notes[0]


@pytest.mark.parametrize(
    "geometry",
    [Point(200, 34), Point(113, 95), Point(float("nan"), 34)],
    ids=["lon-range", "lat-range", "nan"],
)
def test_out_of_range_geometry(geometry):
    with pytest.raises(ValidationError, match="outside lon/lat|NaN"):
        validate_record("sources", {"name": "x", "category": "bbq"}, geometry)


def test_missing_geometry_and_geometry_on_attribute_layer():
    with pytest.raises(ValidationError, match="geometry is required"):
        validate_record("stations", {"name": "郑纺机"}, None)
    with pytest.raises(ValidationError, match="has no geometry"):
        validate_record(
            "inspections",
            {"source_id": "S1", "date": "2026-05-01", "result": "compliant"},
            ZZ,
        )


def test_coercions():
    props, _, _ = validate_record(
        "stations", {"name": "站", "radius_m": "2500", "demo": "是"}, ZZ
    )
    assert props["radius_m"] == 2500.0 and props["demo"] is True
    props, _, _ = validate_record(
        "inspections",
        {"source_id": "S1", "date": "2026/05/01", "round": "2", "result": "violation"},
        None,
    )
    assert props["date"] == "2026-05-01" and props["round"] == 2
    with pytest.raises(ValidationError, match="'round'.*whole number"):
        validate_record(
            "inspections",
            {"source_id": "S1", "date": "2026-05-01", "round": "2.5", "result": "compliant"},
            None,
        )


def test_layers_and_unknown_layer():
    assert set(LAYERS) >= {"sources", "stations", "inspections"}
    assert get_layer("sources").field_names[0] == "id"
    with pytest.raises(NotFoundError, match="unknown layer 'nope'"):
        get_layer("nope")
