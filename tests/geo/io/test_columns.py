"""Header mapping: Chinese and GIS-format headers onto ledger fields."""

import pandas as pd

from geo.io.columns import canonical_columns, canonical_frame


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
