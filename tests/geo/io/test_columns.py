"""Header mapping: Chinese and GIS-format headers onto ledger fields."""

import pandas as pd
import pytest

from geo.io.columns import canonical_columns, canonical_frame, canonical_value


def test_chinese_headers_map_onto_fields() -> None:
    mapping = canonical_columns(["名称", "类别", "经度", "纬度", "坐标系", " Status "])
    assert list(mapping.values()) == ["name", "category", "lon", "lat", "crs", "status"]


def test_canonical_frame_prefers_the_canonical_spelling() -> None:
    # KML read by GDAL: the placemark's own Name next to the ledger's name field.
    frame = pd.DataFrame({"Name": ["placemark"], "name": ["老王烧烤"], "类别": ["bbq"]})
    out = canonical_frame(frame)
    assert list(out.columns) == ["name", "category"]
    assert out.loc[0, "name"] == "老王烧烤"


def test_canonical_frame_keeps_the_only_alias() -> None:
    frame = pd.DataFrame({"Name": ["夜市一号"], "Description": ["x"]})
    out = canonical_frame(frame)
    assert list(out.columns) == ["name", "description"]
    assert out.loc[0, "name"] == "夜市一号"


def test_canonical_frame_prefers_the_filled_alias() -> None:
    # KML written from a frame with Chinese headers: empty placemark Name, filled 名称.
    frame = pd.DataFrame({"Name": [None, None], "名称": ["店0", "店1"]})
    out = canonical_frame(frame)
    assert out["name"].tolist() == ["店0", "店1"]


def _printed_labels() -> list[tuple[str, str, str]]:
    """(field, label, code) for every vocabulary label Zonewatch itself prints."""
    from geo.reports import CATEGORY_LABELS, LABELS, STATUS_LABELS
    from maps.i18n import labels

    vocabularies = {"categories": "category", "statuses": "status",
                    "purifier": "fume_purifier", "levels": "level"}
    out = []
    for lang in ("zh", "en"):
        words = labels(lang)
        for key, field in vocabularies.items():
            out += [(field, label, code) for code, label in words[key].items()]
    out += [("category", label, code) for code, label in CATEGORY_LABELS.items()]
    out += [("status", label, code) for code, label in STATUS_LABELS.items()]
    out += [("fume_purifier", LABELS[code], code) for code in ("none", "installed", "in_use")]
    out += [("result", LABELS["closed_down"], "closed_down")]
    return out


@pytest.mark.parametrize(("field", "label", "code"), _printed_labels(),
                         ids=[f"{f}-{label}" for f, label, _ in _printed_labels()])
def test_every_label_zonewatch_prints_imports_back(field: str, label: str, code: str) -> None:
    assert canonical_value(field, label) == code
    assert canonical_value(field, f" {label} ") == code


@pytest.mark.parametrize(
    ("field", "label", "code"),
    [("status", "停业", "closed"), ("status", "已关停/取缔", "closed"),
     ("category", "渣土车路线", "muck_route"), ("fume_purifier", "未登记", None),
     ("category", "Night Market", "night_market"), ("status", "Operating", "operating")],
)
def test_other_spellings(field: str, label: str, code: str | None) -> None:
    assert canonical_value(field, label) == code


def test_cut_shapefile_names_map_back() -> None:
    mapping = canonical_columns(["fume_purif", "last_inspe", "subdistric", "name"])
    assert list(mapping.values()) == ["fume_purifier", "last_inspected", "subdistrict", "name"]
