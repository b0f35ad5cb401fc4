r"""Decide the text encoding of an import file, once for the whole file, strictly.

Excel on Chinese Windows saves CSV as GBK/GB18030; everything else writes
UTF-8, often with a byte order mark. A file is read in exactly one of the two
or refused, never decoded in a mix:

1. UTF-8 (with or without BOM) when the whole file is valid UTF-8.
2. Else GB18030 when every line is valid GB18030 *and* no line is UTF-8.
   Each line holding non-ASCII bytes is classified on its own: a line that is
   valid UTF-8 counts as UTF-8, even when it is also valid GB18030. That
   ambiguity is one-sided: UTF-8 Chinese text often happens to form valid
   GB18030 pairs (``店一`` reads as ``搴椾竴``), while GB18030 Chinese text
   forms valid UTF-8 only by accident on a very short line. So a file with
   invalid UTF-8 on some lines and valid UTF-8 on others is a mix (one line
   pasted from another program), and a byte order mark counts as UTF-8 too.
   The rare GB18030 file refused by accident costs a re-save as UTF-8;
   decoding a mix costs silently corrupted records.
3. Else the file is refused, naming the first line (1-based, as an editor
   counts them) that is in neither encoding, or the line that breaks the mix.

Lines are split at ``\n``: neither encoding uses that byte inside a character.
"""

from __future__ import annotations

from geo.errors import InputError

__all__ = ["decode_text"]

_BOM = b"\xef\xbb\xbf"
_UTF8, _GB = "UTF-8", "GB18030"
_RESAVE = "save the whole file again in one encoding (UTF-8 is best)"


def decode_text(raw: bytes, *, name: str) -> str:
    r"""Return the text of ``raw`` decoded as UTF-8 or GB18030, decided for the whole file.

    Parameters
    ----------
    raw : bytes
        The file's bytes.
    name : str
        The file name, for messages.

    Raises
    ------
    InputError
        When a line is neither UTF-8 nor GB18030, or the lines mix the two;
        the message names the line.

    Examples
    --------
    >>> decode_text("名称\n店一\n".encode("gb18030"), name="a.csv")
    '名称\n店一\n'
    >>> decode_text("名称\n".encode() + "店一\n".encode("gb18030"), name="a.csv")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    geo.errors.InputError: a.csv: line 2 reads as GB18030 while line 1 reads as UTF-8: ...
    """
    has_bom = raw.startswith(_BOM)
    body = raw[len(_BOM):] if has_bom else raw
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines = _classify_lines(body, name=name)
    if has_bom:  # the file declares UTF-8: every line that is not is the mistake
        raise InputError(f"{name}: starts with a UTF-8 byte order mark but line "
                         f"{lines[_GB][0]} is not UTF-8 (it reads as GB18030); {_RESAVE}")
    if _UTF8 in lines:
        raise InputError(_mixed_message(lines, name=name))
    return body.decode("gb18030")


def _classify_lines(body: bytes, *, name: str) -> dict[str, list[int]]:
    """Return the numbers of the non-ASCII lines in each encoding; refuse a line in neither."""
    found: dict[str, list[int]] = {}
    for number, line in enumerate(body.split(b"\n"), start=1):
        if line.isascii():
            continue
        encoding = _line_encoding(line)
        if encoding is None:
            raise InputError(f"{name}: line {number} is neither UTF-8 nor GB18030 text; "
                             f"{_RESAVE}")
        found.setdefault(encoding, []).append(number)
    return found


def _line_encoding(line: bytes) -> str | None:
    for encoding in (_UTF8, _GB):  # UTF-8 first: see the module docstring
        try:
            line.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def _mixed_message(lines: dict[str, list[int]], *, name: str) -> str:
    """Name the first line of the smaller group as the one that breaks the file's encoding."""
    utf8, gb = lines[_UTF8], lines[_GB]
    if len(utf8) < len(gb):
        bad, bad_enc, other, other_enc = utf8[0], _UTF8, gb[0], _GB
    else:
        bad, bad_enc, other, other_enc = gb[0], _GB, utf8[0], _UTF8
    return (f"{name}: line {bad} reads as {bad_enc} while line {other} reads as "
            f"{other_enc}: the file mixes text encodings; {_RESAVE}")
