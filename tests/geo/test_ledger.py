"""The ledger model: fields, values, geometries and ids that are taken or refused."""

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


# -- limits: radius, round, dates, text, ids -------------------------------------------------


@pytest.mark.parametrize(
    "radius_m",
    [-5.0, 0.0, float("inf"), "Infinity", 1e308, 50_000.01],
    ids=["negative", "zero", "inf", "inf-text", "1e308", "above-50km"],
)
def test_station_radius_must_be_positive_finite_and_at_most_50_km(radius_m):
    with pytest.raises(ValidationError, match="'radius_m'") as info:
        validate_record("stations", {"name": "站", "radius_m": radius_m}, ZZ)
    assert info.value.field == "radius_m"


@pytest.mark.parametrize("radius_m", [0.01, 3000, 50_000], ids=["tiny", "default", "max"])
def test_station_radius_in_range_is_kept(radius_m):
    props, _, _ = validate_record("stations", {"name": "站", "radius_m": radius_m}, ZZ)
    assert props["radius_m"] == float(radius_m)


INSPECTION = {"source_id": "S1", "date": "2026-05-01", "result": "compliant"}


@pytest.mark.parametrize(
    "round_no",
    [0, -3, 1001, 99999999999999999999, "99999999999999999999"],
    ids=["zero", "negative", "above-1000", "huge", "huge-text"],
)
def test_round_is_1_to_1000(round_no):
    with pytest.raises(ValidationError, match="'round'.*out of range") as info:
        validate_record("inspections", {**INSPECTION, "round": round_no}, None)
    assert info.value.field == "round"
    props, _, _ = validate_record("inspections", {**INSPECTION, "round": 1000}, None)
    assert props["round"] == 1000


def test_inspection_dates_after_the_bureaus_today_are_refused():
    from geo.ledger import bureau_today

    with pytest.raises(ValidationError, match="'date'.*in the future") as info:
        validate_record("inspections", {**INSPECTION, "date": "2099-05-02"}, None)
    assert info.value.field == "date"
    today = bureau_today().isoformat()
    props, _, _ = validate_record("inspections", {**INSPECTION, "date": today}, None)
    assert props["date"] == today


@pytest.mark.parametrize(
    ("layer", "props", "field"),
    [
        ("sources", {"name": "老王\x00烧烤", "category": "bbq"}, "name"),
        ("sources", {"name": "x", "category": "bbq", "notes": "a\x00"}, "notes"),
        ("inspections", {**INSPECTION, "inspector": "\x00"}, "inspector"),
    ],
    ids=["name", "notes", "inspector"],
)
def test_text_with_a_nul_character_is_refused(layer, props, field):
    geometry = ZZ if layer == "sources" else None
    with pytest.raises(ValidationError, match="NUL") as info:
        validate_record(layer, props, geometry)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("field", "cap"),
    [("name", 200), ("address", 500), ("notes", 2000), ("community", 200)],
)
def test_text_fields_are_capped(field, cap):
    base = {"name": "x", "category": "bbq"}
    props, _, _ = validate_record("sources", {**base, field: "字" * cap}, ZZ)
    assert len(props[field]) == cap
    with pytest.raises(ValidationError, match=f"at most {cap}") as info:
        validate_record("sources", {**base, field: "字" * (cap + 1)}, ZZ)
    assert info.value.field == field


@pytest.mark.parametrize(
    "fid",
    ["a/b?c#d", "x" * 65, "x" * 5000, 5, 5.0, True, "", " ", ".", "..", "-x", "S 1", "S\x001"],
    ids=["url-chars", "65-chars", "5000-chars", "int", "float", "bool", "empty", "blank",
         "dot", "dotdot", "leading-hyphen", "space", "nul"],
)
def test_invalid_ids_are_refused(fid):
    from geo.ledger import validate_id

    with pytest.raises(ValidationError, match="not a valid id") as info:
        validate_id(fid)
    assert info.value.field == "id"


@pytest.mark.parametrize(
    ("fid", "expected"),
    [(" S-00001 ", "S-00001"), ("中原区_餐饮.7", "中原区_餐饮.7"), ("x" * 64, "x" * 64),
     ("_1", "_1")],
    ids=["trimmed", "cjk", "64-chars", "underscore-first"],
)
def test_valid_ids_are_kept(fid, expected):
    from geo.ledger import validate_id

    assert validate_id(fid) == expected


def test_integer_ids_from_files_are_their_digits():
    from geo.ledger import validate_id

    assert validate_id(5, numbers=True) == "5" and validate_id(12.0, numbers=True) == "12"
    for bad in (5.5, True):
        with pytest.raises(ValidationError, match="not a valid id"):
            validate_id(bad, numbers=True)


def test_every_category_has_one_chinese_label() -> None:
    from geo.ledger import CATEGORIES, CATEGORY_LABELS_ZH

    assert tuple(CATEGORY_LABELS_ZH) == CATEGORIES


# -- field types and Unicode (issue 10) ------------------------------------------------------

STATION = {"name": "站"}


@pytest.mark.parametrize(
    ("layer", "props", "field", "message"),
    [
        ("sources", {"grid": {"a": 1}}, "grid", "expected a string, got an object"),
        ("sources", {"grid": ["a"]}, "grid", "expected a string, got an array"),
        ("sources", {"grid": False}, "grid", "expected a string, got the boolean false"),
        ("sources", {"grid": 12}, "grid", 'expected a string such as "12", got the number 12'),
        ("sources", {"community": 3.5}, "community",
         'expected a string such as "3.5", got the number 3.5'),
        ("sources", {"name": 7}, "name", 'expected a string such as "7", got the number 7'),
        ("sources", {"category": ["bbq"]}, "category", "expected a string, got an array"),
        ("sources", {"last_inspected": 20260101}, "last_inspected",
         "expected a date as text (YYYY-MM-DD), got the number 20260101"),
        ("stations", {"radius_m": [3000]}, "radius_m", "expected a number, got an array"),
        ("stations", {"demo": {"x": True}}, "demo", "expected true or false, got an object"),
        ("inspections", {"round": {"n": 1}}, "round", "expected a whole number, got an object"),
        ("inspections", {"inspector": 12}, "inspector",
         'expected a string such as "12", got the number 12'),
        ("inspections", {"date": True}, "date",
         "expected a date as text (YYYY-MM-DD), got the boolean true"),
    ],
    ids=["object", "array", "false", "number", "float", "name-number", "choice-array",
         "date-number", "radius-array", "bool-object", "round-object", "inspector-number",
         "date-boolean"],
)
def test_values_of_the_wrong_type_are_refused_naming_the_field(layer, props, field, message):
    base = {"sources": {"name": "x", "category": "bbq"}, "stations": STATION,
            "inspections": INSPECTION}[layer]
    geometry = None if layer == "inspections" else ZZ
    with pytest.raises(ValidationError) as info:
        validate_record(layer, {**base, **props}, geometry)
    assert str(info.value) == f"field {field!r}: {message}"
    assert info.value.field == field


def test_a_value_nested_thousands_deep_is_refused_without_its_repr():
    deep: list = []
    for _ in range(5_000):
        deep = [deep]
    with pytest.raises(ValidationError, match="'notes': expected a string, got an array"):
        validate_record("sources", {"name": "x", "category": "bbq", "notes": deep}, ZZ)


def test_numbers_for_number_fields_and_text_cells_stay_accepted():
    props, _, _ = validate_record("stations", {**STATION, "radius_m": 2500, "demo": 1}, ZZ)
    assert (props["radius_m"], props["demo"]) == (2500.0, True)
    props, _, _ = validate_record("inspections", {**INSPECTION, "round": 2.0}, None)
    assert props["round"] == 2
    props, _, _ = validate_record("sources", {"name": "x", "category": "bbq", "grid": "12"}, ZZ)
    assert props["grid"] == "12"


@pytest.mark.parametrize(
    ("layer", "props", "field"),
    [
        ("sources", {"name": "老王\ud800烧烤", "category": "bbq"}, "name"),
        ("sources", {"name": "x", "category": "bbq", "grid": "\udfff"}, "grid"),
        ("stations", {"name": "\ud83d"}, "name"),
        ("inspections", {**INSPECTION, "notes": "a\udc00"}, "notes"),
    ],
    ids=["source-name", "source-grid", "station-name", "inspection-notes"],
)
def test_text_with_a_lone_surrogate_is_refused(layer, props, field):
    geometry = None if layer == "inspections" else ZZ
    with pytest.raises(ValidationError, match=f"'{field}': is not valid Unicode") as info:
        validate_record(layer, props, geometry)
    assert info.value.field == field
    str(info.value).encode("utf-8")  # the message itself can be sent as UTF-8


def test_a_field_name_that_is_not_valid_unicode_is_named_escaped():
    with pytest.raises(ValidationError, match=r"unknown field\(s\).*\\ud800") as info:
        validate_record("sources", {"name": "x", "category": "bbq", "\ud800": "y"}, ZZ)
    assert info.value.field == "\\ud800"
    str(info.value).encode("utf-8")


def test_a_surrogate_pair_written_as_one_character_is_fine():
    props, _, _ = validate_record("sources", {"name": "店😀", "category": "bbq"}, ZZ)
    assert props["name"] == "店😀"
