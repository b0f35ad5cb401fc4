"""Importer messages in Chinese: why a row (or a whole file) was refused, for the import page.

The importer and the ledger model explain every rejection in English
(``field 'category': 'cafe' is not one of catering, bbq, ...``), naming the
field, the value and what was expected. :func:`reason_zh` says the same in
Chinese by pattern, for the messages of :mod:`geo.ledger` (fields, ids,
geometry), :mod:`geo.crs` (coordinates and labels), :mod:`geo.io.importer`,
the readers and :mod:`geo.io.safety` (files), and :mod:`geo.writes` (taken
ids). Prefixes nest (``a.shp feature 3: coordinate 2: ...``) and are
translated one by one. Values quoted from the file stay as written; field
names and codes read as the pages name them (:mod:`geo.vocabulary`). A
message no pattern knows is returned unchanged: better English than a
wrong translation.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from geo.vocabulary import code_label, field_label

__all__ = ["reason_zh"]

_Build = Callable[[re.Match[str]], str]


def reason_zh(reason: str) -> str:
    """Return the Chinese of an importer's English rejection ``reason`` (unknown ones as is).

    Parameters
    ----------
    reason : str
        A :class:`~geo.errors.RowError` reason or a file-level error message.

    Examples
    --------
    >>> reason_zh("field 'category': 'cafe' is not one of catering, bbq")
    "「类别」的值 'cafe' 不在可选范围内；可填：餐饮、露天烧烤"
    >>> reason_zh("coordinate 1: latitude 95.0 is outside -90..90")
    '第 2 个坐标点：纬度 95.0 超出 -90 到 90 的范围'
    >>> reason_zh("something new")
    'something new'
    """
    text = reason.strip()
    for pattern, build in _RULES:
        match = pattern.fullmatch(text)
        if match is not None:
            return build(match)
    return reason


# -- words ------------------------------------------------------------------------------

_KINDS = {"str": "文本", "int": "整数", "float": "数字", "bool": "是/否", "date": "日期",
          "datetime": "日期时间"}
_EXPECTED = {"a string": "文本", "a whole number": "整数", "a number": "数字",
             "true or false": "是/否（true/false）",
             "a date as text (YYYY-MM-DD)": "文本形式的日期（YYYY-MM-DD）",
             "a date and time as text (ISO 8601)": "文本形式的日期时间（ISO 8601）"}
_GEOMETRIES = {"Point": "点", "MultiPoint": "多点", "LineString": "线",
               "MultiLineString": "多线", "Polygon": "面", "MultiPolygon": "多面",
               "GeometryCollection": "几何集合"}
_LAYERS = {"sources": "污染源", "stations": "监测点", "inspections": "检查记录",
           "grids": "网格", "districts": "行政区"}
_TABLES = {"CSV file": "CSV 文件", "XLSX workbook": "Excel 工作簿（XLSX）",
           "zip archive": "zip 压缩包", "GeoPackage": "GeoPackage 文件",
           "readable GeoPackage": "可读的 GeoPackage 文件", "KML file": "KML 文件",
           "GeoJSON file": "GeoJSON 文件", "zipped Shapefile": "Shapefile 压缩包"}
#: shapely's ``is_valid_reason`` words.
_INVALID = {"Self-intersection": "自相交", "Ring Self-intersection": "环自相交",
            "Too few points in geometry component": "几何部件的点太少",
            "Hole lies outside shell": "内环在外环之外", "Interior is disconnected": "内部不连通",
            "Nested shells": "外环相互嵌套", "Nested holes": "内环相互嵌套",
            "Duplicate Rings": "有重复的环", "Invalid Coordinate": "坐标无效",
            "Ring is not closed": "环未闭合"}


#: Why a file's first bytes do not fit its name (geo.io.safety).
_SNIFFED = {"not a zip archive": "不是 zip 压缩格式", "no SQLite header": "没有 SQLite 文件头",
            "binary content": "内容是二进制数据", "JSON must start with '{'": "JSON 应以“{”开头",
            "no <kml> element": "没有 <kml> 元素",
            "a GDAL connection string or VRT, which is never opened":
                "是 GDAL 连接串或 VRT，不予打开"}
_RESAVE = "请把整个文件另存为一种编码（最好是 UTF-8）"


def _field(name: str) -> str:
    return f"「{field_label(name, 'zh')}」"


def _layer(name: str) -> str:
    return f"「{_LAYERS.get(name, name)}」"


def _choices(field: str, listed: str) -> str:
    return "、".join(code_label(field, code.strip(), "zh") for code in listed.split(","))


def _geometries(listed: str) -> str:
    return "或".join(f"{_GEOMETRIES.get(t, t)}（{t}）" for t in listed.split(" or "))


def _table(what: str) -> str:
    sheet = re.fullmatch(r"sheet (.+)", what)
    if sheet:
        return f"工作表 {sheet[1]}"
    shapefile = re.fullmatch(r"Shapefile \((.+) in (.+)\)", what)
    if shapefile:
        return f"Shapefile（{shapefile[2]} 中的 {shapefile[1]}）"
    return _TABLES.get(what, what)


def _bounds(text: str) -> str:
    words = {"at least": "不小于", "above": "大于", "at most": "不大于"}
    parts = []
    for bound in text.split(" and "):
        head, _, number = bound.rpartition(" ")
        parts.append(f"{words.get(head, head)} {number}")
    return "、".join(parts)


def _invalid(reason: str) -> str:
    match = re.fullmatch(r"(?P<what>[A-Za-z][A-Za-z -]*?)\s*(?P<at>\[.*\])?", reason)
    if match is None or match["what"] not in _INVALID:
        return reason
    return _INVALID[match["what"]] + (f" {match['at']}" if match["at"] else "")


def _described(text: str) -> str:
    found = re.fullmatch(r"the (boolean|number) (.+)", text)
    if found:
        return f"{'布尔值' if found[1] == 'boolean' else '数字'} {found[2]}"
    typed = re.fullmatch(r"a value of type (.+)", text)
    if typed:
        return f"{typed[1]} 类型的值"
    return {"an object": "对象", "an array": "数组"}.get(text, text)


def _hint(text: str | None) -> str:
    return "" if not text else f"（如 {text}）"


# -- rules: (pattern, build), tried in order, each against the whole message ----------------

_F = r"field '(?P<f>[^']+)'"
_NAME = r"[^:\n]+?\.(?i:csv|txt|xlsx|geojson|json|gpkg|zip|kml|shp|dbf)"  # a file's name
_RAW_RULES: list[tuple[str, _Build]] = [
    # the workspace's forms (geo.forms) and photos (geo.photos)
    (r"photo '(?P<n>.*)': (?P<rest>.+)", lambda m: f"照片「{m['n']}」：{reason_zh(m['rest'])}"),
    (r"not a readable JPEG or PNG image \(.*\)", lambda m: "无法读取，不是 JPEG 或 PNG 图片"),
    (r"the image is damaged \(.*\)", lambda m: "图片已损坏或不完整"),
    (r"(?P<f>\S+) is not a JPEG or PNG photo", lambda m: f"{m['f']} 格式不是 JPEG 或 PNG 照片"),
    (r"(?P<w>\d+)x(?P<h>\d+) pixels is more than a photo has",
     lambda m: f"{m['w']}×{m['h']} 像素，超过照片的像素上限"),
    (r"(?P<s>[\d.]+) MB is more than the (?P<c>\d+) MB a photo may have",
     lambda m: f"文件 {m['s']} MB，超过单张照片 {m['c']} MB 的上限"),
    (r"(?:an inspection has )?at most (?P<n>\d+) photos[;:] (?:got )?(?P<g>\d+)(?: chosen)?",
     lambda m: f"每次检查最多 {m['n']} 张照片，选了 {m['g']} 张"),
    (r"(?P<v>.+) is not a coordinate pair: write longitude and latitude, e\.g\. (?P<e>\S+)",
     lambda m: f"{m['v']} 不是一对坐标：请按“经度,纬度”填写，例如 {m['e']}"),
    (r"choose where the coordinates come from .*", lambda m: "请选择坐标来源（GPS、高德、百度等）"),
    (r"type or paste the place's coordinates", lambda m: "请填写或粘贴该污染源的坐标"),
    (r"a username has (?P<n>\d+) to (?P<m>\d+) letters, digits or \. _ - @",
     lambda m: f"用户名为 {m['n']} 到 {m['m']} 个字符，只能用文字、数字和 . _ - @"),
    # prefixes and suffixes: translate the rest in turn
    (rf"(?P<origin>{_NAME}) feature (?P<n>\d+): (?P<rest>.+)",
     lambda m: f"{m['origin']} 第 {m['n']} 个要素：{reason_zh(m['rest'])}"),
    (rf"(?P<file>{_NAME}): (?P<rest>.+)", lambda m: f"{m['file']}：{reason_zh(m['rest'])}"),
    (r"coordinate (?P<i>\d+): (?P<rest>.+)",
     lambda m: f"第 {int(m['i']) + 1} 个坐标点：{reason_zh(m['rest'])}"),
    (r"row (?P<n>\d+): (?P<rest>.+)", lambda m: f"第 {m['n']} 行：{reason_zh(m['rest'])}"),
    (r"(?P<rest>.+) \((?P<n>\d+) more bad coordinate\(s\)\)",
     lambda m: f"{reason_zh(m['rest'])}（另有 {m['n']} 个坐标有误）"),
    # fields (geo.ledger)
    (rf"{_F} is required", lambda m: f"{_field(m['f'])}必填，不能为空"),
    (rf"{_F}: (?P<v>.+) is not one of (?P<c>.+)",
     lambda m: f"{_field(m['f'])}的值 {m['v']} 不在可选范围内；可填：{_choices(m['f'], m['c'])}"),
    (rf"{_F}: (?P<v>.+) is not a valid id; expected 1 to (?P<n>\d+) letters.*",
     lambda m: f"{_field(m['f'])}的值 {m['v']} 不是有效的编号：应为 1 到 {m['n']} 个字母、数字、"
               "“_”、“-”或“.”，并以字母、数字或“_”开头"),
    (rf"{_F}: (?P<v>.+) is not a valid id; ids are text",
     lambda m: f"{_field(m['f'])}的值 {m['v']} 不是有效的编号：编号应为文本"),
    (rf"{_F}: (?P<v>.+) is not a valid (?P<k>\w+) \((?P<why>.*)\)",
     lambda m: f"{_field(m['f'])}的值 {m['v']} 不是有效的{_KINDS.get(m['k'], m['k'])}"
               f"（{reason_zh(m['why'])}）"),
    (rf"{_F}: expected (?P<e>.+?)(?: such as (?P<h>\".*\"))?, got (?P<g>.+)",
     lambda m: f"{_field(m['f'])}应为{_EXPECTED.get(m['e'], m['e'])}{_hint(m['h'])}，"
               f"实际为{_described(m['g'])}"),
    (rf"{_F}: contains a NUL character", lambda m: f"{_field(m['f'])}含有空字符（NUL）"),
    (rf"{_F}: is not valid Unicode .*",
     lambda m: f"{_field(m['f'])}不是有效的 Unicode 文本（含有不成对的代理字符）"),
    (rf"{_F}: is (?P<n>\d+) characters long; at most (?P<m>\d+) are allowed",
     lambda m: f"{_field(m['f'])}有 {m['n']} 个字符，最多允许 {m['m']} 个"),
    (rf"{_F}: (?P<v>.+) is out of range; expected (?P<b>.+)",
     lambda m: f"{_field(m['f'])}的值 {m['v']} 超出范围，应{_bounds(m['b'])}"),
    (rf"{_F}: (?P<v>.+) is in the future \(today is (?P<d>[\d-]+), UTC\+8\)",
     lambda m: f"{_field(m['f'])}的日期 {m['v']} 晚于今天（今天是 {m['d']}，北京时间）"),
    (rf"{_F}: no source (?P<v>.+) to inspect",
     lambda m: f"{_field(m['f'])} {m['v']} 没有对应的污染源"),
    (r"unknown field\(s\) for layer '(?P<l>[^']+)': (?P<n>.+)",
     lambda m: f"图层{_layer(m['l'])}没有这些字段：{m['n']}"),
    (r"layer '(?P<l>[^']+)' has no geometry", lambda m: f"图层{_layer(m['l'])}不含几何"),
    # conversions quoted inside "is not a valid ..."
    (r"not a whole number", lambda m: "不是整数"),
    (r"a boolean is not a number", lambda m: "布尔值不是数字"),
    (r"not a finite number", lambda m: "不是有限的数字"),
    (r"expected true/false", lambda m: "应为 是/否 或 true/false"),
    (r"could not convert string to float: .*", lambda m: "无法识别为数字"),
    (r"invalid literal for int\(\).*", lambda m: "无法识别为整数"),
    (r"Invalid isoformat string: .*", lambda m: "格式应为 YYYY-MM-DD"),
    (r"month must be in 1\.\.12", lambda m: "月份应在 1 到 12 之间"),
    (r"day is out of range for month", lambda m: "日期超出当月的天数"),
    (r"year .* is out of range", lambda m: "年份超出范围"),
    # ids (geo.io.importer, geo.writes)
    (r"id (?P<v>.+) already used in row (?P<n>\d+)",
     lambda m: f"编号 {m['v']} 已在第 {m['n']} 行用过"),
    (r"id (?P<v>.+) already exists in layer '(?P<l>[^']+)'",
     lambda m: f"编号 {m['v']} 在{_layer(m['l'])}中已存在"),
    (r"id\(s\) already exist in layer '(?P<l>[^']+)': (?P<v>.+); use mode 'upsert'.*",
     lambda m: f"{_layer(m['l'])}中已有这些编号：{m['v']}；要更新它们，请选“按编号更新”（upsert）"),
    (r"id\(s\) (?P<v>.+) belonged to deleted feature\(s\) of layer '(?P<l>[^']+)'.*",
     lambda m: f"编号 {m['v']} 属于{_layer(m['l'])}中已删除的记录（其历史仍保留）；请换一个编号，"
               "若要恢复同一记录，请用“按编号更新”（upsert）导入"),
    # geometry (geo.ledger, geo.io.importer, the readers)
    (r"geometry is (?:missing|required)", lambda m: "缺少位置：没有经纬度或几何（WKT）"),
    (r"geometry type (?P<t>\w+) is not allowed here; expected (?P<e>.+)",
     lambda m: f"几何类型{_GEOMETRIES.get(m['t'], m['t'])}（{m['t']}）不适用于此处；"
               f"应为{_geometries(m['e'])}"),
    (r"invalid geometry: (?P<r>.+)", lambda m: f"几何无效：{_invalid(m['r'])}"),
    (r"invalid polygon cannot be repaired", lambda m: "面几何无效，且无法自动修复"),
    (r"geometry has a NaN or infinite coordinate", lambda m: "几何含有空值（NaN）或无穷大的坐标"),
    (r"geometry lies outside lon/lat range \(bounds (?P<b>.+)\)",
     lambda m: f"几何超出经纬度范围（范围 {m['b']}）"),
    (r"unreadable geometry \((?P<r>.*)\)", lambda m: f"几何无法读取（{m['r']}）"),
    (r"not a GeoJSON Feature", lambda m: "不是 GeoJSON 要素（Feature）"),
    (r"'properties' must be an object", lambda m: "“properties”应为对象"),
    (r"property name (?P<n>.+) is not valid Unicode",
     lambda m: f"属性名 {m['n']} 不是有效的 Unicode 文本"),
    (r"no WKT and no lon/lat columns", lambda m: "没有 WKT 列，也没有经度、纬度列"),
    (r"lon/lat missing", lambda m: "经度或纬度为空"),
    (r"lon/lat (?P<a>.+), (?P<b>.+) are not numbers",
     lambda m: f"经度、纬度 {m['a']}、{m['b']} 不是数字"),
    (r"ParseException: (?P<r>.+)", lambda m: f"WKT 无法解析（{m['r']}）"),
    # coordinates and labels (geo.crs)
    (r"unknown coordinate label 'EPSG:(?P<n>\d+)': pyproj knows no such EPSG code",
     lambda m: f"未知的坐标系 EPSG:{m['n']}：没有这个 EPSG 代码"),
    (r"unknown coordinate label (?P<l>.+); expected one of (?P<e>.+) or EPSG:<code>",
     lambda m: f"未知的坐标系 {m['l']}；应为 {m['e']} 或 EPSG:代码"),
    (r"coordinate label must be a string; got (?P<v>.+)",
     lambda m: f"坐标系应为文本，实际为 {m['v']}"),
    (r"EPSG:(?P<n>\d+) \((?P<name>.+)\) is a (?P<t>.+); expected a geographic or projected CRS",
     lambda m: f"EPSG:{m['n']}（{m['name']}）是 {m['t']}，应为地理坐标系或投影坐标系"),
    (r"longitude (?P<v>.+) is not a finite number; expected degrees in -180\.\.180",
     lambda m: f"经度 {m['v']} 不是有效数字，应为 -180 到 180 度"),
    (r"latitude (?P<v>.+) is not a finite number; expected degrees in -90\.\.90",
     lambda m: f"纬度 {m['v']} 不是有效数字，应为 -90 到 90 度"),
    (r"latitude (?P<a>.+) is outside -90\.\.90 and longitude (?P<b>.+) would be a valid "
     r"latitude: lat/lon look swapped; expected \(lon, lat\) order",
     lambda m: f"纬度 {m['a']} 超出 -90 到 90 的范围，而经度 {m['b']} 像是纬度：经纬度可能填反了，"
               "应先填经度、后填纬度"),
    (r"latitude (?P<v>.+) is outside -90\.\.90", lambda m: f"纬度 {m['v']} 超出 -90 到 90 的范围"),
    (r"longitude (?P<v>.+) is outside -180\.\.180",
     lambda m: f"经度 {m['v']} 超出 -180 到 180 的范围"),
    (r"(?P<l>\S+) x=(?P<x>.+), y=(?P<y>.+) converts to lon/lat \((?P<ll>.+)\); expected easting, "
     r"northing inside the CRS's area(?: \(area of use (?P<a>.+)\))?; swapped x/y or lon/lat "
     r"given with a projected label\?",
     lambda m: f"{m['l']} 坐标 x={m['x']}, y={m['y']} 换算成经纬度为 ({m['ll']})，不在该坐标系的"
               f"适用范围{'（' + m['a'] + '）' if m['a'] else ''}内；是否把 x、y 填反了，"
               "或把经纬度标成了投影坐标系？"),
    (r"inverse offset did not converge for \((?P<p>.+)\) after (?P<n>\d+) iterations",
     lambda m: f"坐标 ({m['p']}) 的偏移反算在 {m['n']} 次迭代后仍未收敛"),
    (r"coordinates must be numbers; got x=(?P<x>.+), y=(?P<y>.+)",
     lambda m: f"坐标应为数字，实际为 x={m['x']}，y={m['y']}"),
    (r"lon/lat \((?P<p>.+)\) cannot be expressed in (?P<l>.+)",
     lambda m: f"经纬度 ({m['p']}) 无法换算到 {m['l']}"),
    # whole files (readers, geo.io.safety, geo.io.charsets, geo.io.sheets)
    (r"not a readable (?P<w>.+?) \((?P<r>.*)\)",
     lambda m: f"无法读取，不是有效的 {_table(m['w'])}（{m['r']}）"),
    (r"not an? (?P<w>.+?) \((?P<r>.*)\)",
     lambda m: f"不是 {_table(m['w'])}（{_SNIFFED.get(m['r'], m['r'])}）"),
    (r"empty zip archive, nothing to import", lambda m: "是空的 zip 压缩包，没有可导入的内容"),
    (r"the (?P<w>.+) needs lon/lat columns .*; columns found: (?P<c>.*)",
     lambda m: f"{_table(m['w'])}的表头需要经度、纬度两列（经度、纬度 或 lon、lat），"
               f"或一个 WKT 列（wkt）；现有的列：{m['c']}"),
    (r"the (?P<w>.+) is empty", lambda m: f"{_table(m['w'])}是空的"),
    (r"(?:row|line) (?P<n>\d+) has more cells than the header \((?:row|line) (?P<h>\d+)\) names",
     lambda m: f"第 {m['n']} 行的单元格比表头（第 {m['h']} 行）多"),
    (r"columns given twice: (?P<c>.+)", lambda m: f"这些列出现了两次：{m['c']}"),
    (r"unsupported file type (?P<s>.+); expected (?P<e>.+)",
     lambda m: f"不支持的文件类型 {m['s']}；应为 {m['e']}"),
    (r"the uploaded file needs a name with a suffix such as \.csv or \.zip",
     lambda m: "上传的文件名需要带扩展名，如 .csv、.xlsx 或 .zip"),
    (r"no sheet has a header row naming known fields .*; sheets: (?P<s>.+)",
     lambda m: f"没有哪个工作表的表头含有可识别的字段（名称、经度、纬度 或 name、lon、lat 等）；"
               f"工作表：{m['s']}"),
    (r"several sheets hold a table \((?P<s>.+)\); keep one, or name the one to import (?P<l>.+)",
     lambda m: f"多个工作表都有表格（{m['s']}）；请只保留一个，或把要导入的工作表命名为 {m['l']}"),
    (r"more than (?P<n>\d+) rows", lambda m: f"超过 {m['n']} 行"),
    (r"line (?P<n>\d+) is not readable as CSV \((?P<r>.*)\)",
     lambda m: f"第 {m['n']} 行无法按 CSV 读取（{m['r']}）"),
    (r"line (?P<n>\d+) is neither UTF-8 nor GB18030 text; .*",
     lambda m: f"第 {m['n']} 行既不是 UTF-8 也不是 GB18030 编码；{_RESAVE}"),
    (r"line (?P<a>\d+) reads as (?P<e>\S+) while line (?P<b>\d+) reads as (?P<f>\S+): .*",
     lambda m: f"第 {m['a']} 行是 {m['e']} 编码，而第 {m['b']} 行是 {m['f']} 编码：文件混用了编码；"
               f"{_RESAVE}"),
    (r"starts with a UTF-8 byte order mark but line (?P<n>\d+) is not UTF-8.*",
     lambda m: f"文件声明为 UTF-8，但第 {m['n']} 行不是 UTF-8（像是 GB18030）；"
               f"{_RESAVE}"),
    (r"not valid JSON \((?P<r>.*)\)", lambda m: f"不是有效的 JSON（{m['r']}）"),
    (r"expected a GeoJSON FeatureCollection",
     lambda m: "应为 GeoJSON 要素集合（FeatureCollection）"),
    (r"'features' must be a list", lambda m: "“features”应为列表"),
    (r"several layers \((?P<n>.+)\); name one", lambda m: f"含有多个图层（{m['n']}）；请指定一个"),
    (r"no placemarks", lambda m: "没有地标（Placemark）"),
    (r"no \.shp file in the zip", lambda m: "压缩包里没有 .shp 文件"),
    (r"(?P<n>\S+) is not a Shapefile", lambda m: f"{m['n']} 不是 Shapefile"),
    (r"the Shapefiles use different coordinate systems: (?P<s>.+); import them one by one",
     lambda m: f"这些 Shapefile 的坐标系不同：{m['s']}；请逐个导入"),
    (r"nested too deeply to read", lambda m: "嵌套层级过深，无法读取"),
    (r"(?P<n>\d+) members, more than (?P<m>\d+)",
     lambda m: f"压缩包里有 {m['n']} 个文件，超过上限 {m['m']} 个"),
    (r"unpacks to more than (?P<n>\d+) bytes \(zip bomb\?\)",
     lambda m: f"解压后超过 {m['n']} 字节（疑似压缩炸弹）"),
    (r"member (?P<n>.+) points outside the archive",
     lambda m: f"压缩包里的 {m['n']} 指向压缩包之外"),
    (r"member (?P<n>.+) is a link", lambda m: f"压缩包里的 {m['n']} 是链接"),
    (r"member (?P<n>.+) is encrypted; zip it without a password",
     lambda m: f"压缩包里的 {m['n']} 已加密；请不加密码重新压缩"),
    (r"member (?P<n>.+) compresses (?P<b>\d+) bytes more than (?P<r>\d+):1 \(zip bomb\?\)",
     lambda m: f"压缩包里的 {m['n']}（{m['b']} 字节）压缩比超过 {m['r']}:1（疑似压缩炸弹）"),
    (r"two members are named (?P<n>.+); zip one set of files per name",
     lambda m: f"压缩包里有两个名为 {m['n']} 的文件；同名文件只能有一组"),
]
_RULES: list[tuple[re.Pattern[str], _Build]] = [
    (re.compile(pattern, re.DOTALL), build) for pattern, build in _RAW_RULES
]
