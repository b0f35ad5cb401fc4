"""The text encoding of an import file is decided once for the whole file, strictly."""

from __future__ import annotations

import pytest

from geo.errors import InputError
from geo.io.charsets import decode_text

HEADER = "名称,类别,经度,纬度\n"
ROW = "老王烧烤,露天烧烤,113.6,34.75\n"
GB_ROW = "金水路店,餐饮,113.6,34.75\n"  # not valid UTF-8 when encoded in GB18030


@pytest.mark.parametrize(
    "raw",
    [
        (HEADER + ROW).encode("utf-8"),
        (HEADER + ROW).encode("utf-8-sig"),
        (HEADER + ROW + GB_ROW).encode("gb18030"),
        b"name,lon,lat\nx,113.6,34.75\n",
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "ascii"],
)
def test_a_file_in_one_encoding_is_read_in_it(raw: bytes) -> None:
    text = decode_text(raw, name="a.csv")
    assert text in ((HEADER + ROW), (HEADER + ROW + GB_ROW), "name,lon,lat\nx,113.6,34.75\n")


def test_utf8_text_that_also_reads_as_gb18030_is_utf8() -> None:
    raw = "名称\n店一\n".encode()
    assert raw.decode("gb18030") == "鍚嶇О\n搴椾竴\n"  # the mojibake the old reader stored
    assert decode_text(raw, name="a.csv") == "名称\n店一\n"


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        # One GB18030 line among UTF-8 lines (the GB18030 line is the odd one out).
        ((HEADER + ROW + ROW).encode() + GB_ROW.encode("gb18030") + ROW.encode(),
         "line 4 reads as GB18030 while line 1 reads as UTF-8"),
        # One UTF-8 line pasted into a GB18030 file: that line is named.
        ((HEADER + GB_ROW).encode("gb18030") + ROW.encode() + (GB_ROW * 2).encode("gb18030"),
         "line 3 reads as UTF-8 while line 1 reads as GB18030"),
        # A byte order mark says UTF-8: the first line that is not is named.
        (b"\xef\xbb\xbf" + (HEADER + ROW).encode() + GB_ROW.encode("gb18030"),
         "byte order mark but line 3 is not UTF-8"),
        # Latin-1 is neither.
        ("name,lon,lat\nCafé,113.6,34.75\n".encode("latin-1"),
         "line 2 is neither UTF-8 nor GB18030"),
    ],
    ids=["gb18030-line-in-utf8", "utf8-line-in-gb18030", "bom-then-gb18030", "latin-1"],
)
def test_a_mixed_or_foreign_file_is_refused_naming_the_line(raw: bytes, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        decode_text(raw, name="台账.csv")
    assert str(info.value).startswith("台账.csv: ")
    assert "one encoding" in str(info.value)
