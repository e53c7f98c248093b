"""Streaming readers for the registry's tabular files: CSV (UTF-8, BOM tolerated), xlsx (openpyxl
read-only) and GeoJSON point collections, and the CSV writer (xlsx is written by core.xlsx). Rows come out as (number, dict)
where the number is what the user sees: the spreadsheet row (header = row 1) or the feature (1-based).
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from core.errors import ApplicationError

FORMATS = ("csv", "xlsx", "geojson")
BATCH_SIZE = 2000  # rows per bulk write (and per chunk read back), so memory stays flat with the file


def feature_error(number: int, reason: str, **extra: Any) -> ApplicationError:
    """An error naming the GeoJSON feature (1-based) the user can find in the file."""
    return ApplicationError(_("第 %(feature)d 个要素：%(reason)s") % {"feature": number, "reason": reason},
                            extra={"feature": number, **extra})


def row_error(number: int, reason: str, *, feature: bool = False, **extra: Any) -> ApplicationError:
    """An error naming the spreadsheet row (header = row 1), or the feature when `feature`."""
    if feature:
        return feature_error(number, reason, **extra)
    return ApplicationError(_("第 %(row)d 行：%(reason)s") % {"row": number, "reason": reason},
                            extra={"row": number, **extra})


def format_from_name(name: str | Path, given: str | None = None) -> str:
    if given:
        fmt = given.lower().lstrip(".")
    else:
        fmt = Path(str(name)).suffix.lower().lstrip(".")
        fmt = {"json": "geojson", "xlsm": "xlsx"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise ApplicationError(_("不支持的文件格式“%(format)s”：应为 csv、xlsx 或 geojson") % {"format": fmt})
    return fmt


def _binary(file: Any) -> IO[bytes]:
    """A binary file object for a path, bytes or an open file (text files are encoded back)."""
    if isinstance(file, (str, Path)):
        return open(file, "rb")  # noqa: SIM115 - the caller's generator closes it
    if isinstance(file, (bytes, bytearray)):
        return io.BytesIO(bytes(file))
    probe = file.read(0)
    if isinstance(probe, str):
        return io.BytesIO(file.read().encode("utf-8"))
    return file


def _header_key(value: Any, aliases: dict[str, str]) -> str:
    key = str(value if value is not None else "").strip().lstrip("\ufeff")
    return aliases.get(key, aliases.get(key.lower(), key.lower()))


def _is_blank(values: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def rows_read(file: Any, fmt: str, *, aliases: dict[str, str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (number, row) from a csv, xlsx or GeoJSON file, streaming where the format allows.
    Header names are normalised through `aliases` (e.g. 部件标识码 → code)."""
    if fmt == "csv":
        yield from _csv_rows(file, aliases)
    elif fmt == "xlsx":
        yield from _xlsx_rows(file, aliases)
    elif fmt == "geojson":
        yield from _geojson_rows(file, aliases)
    else:  # pragma: no cover - format_from_name guards
        raise ApplicationError(_("不支持的文件格式“%(format)s”") % {"format": fmt})


def _csv_rows(file: Any, aliases: dict[str, str]) -> Iterator[tuple[int, dict[str, Any]]]:
    binary = _binary(file)
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            raise ApplicationError(_("文件为空：缺少表头行")) from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ApplicationError(_("CSV 文件无法读取（应为 UTF-8 编码）：%(error)s") % {"error": exc}) from None
        keys = [_header_key(h, aliases) for h in header]
        number = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except (UnicodeDecodeError, csv.Error) as exc:
                raise ApplicationError(_("第 %(row)d 行：CSV 无法读取（应为 UTF-8 编码）：%(error)s")
                                       % {"row": number + 1, "error": exc}, extra={"row": number + 1}) from None
            number += 1
            if _is_blank(values):
                continue
            yield number, dict(zip(keys, values, strict=False))
    finally:
        if isinstance(file, (str, Path)):
            text.close()
        else:
            text.detach()  # leave the caller's file open


def _xlsx_rows(file: Any, aliases: dict[str, str]) -> Iterator[tuple[int, dict[str, Any]]]:
    # Imported here: openpyxl is slow to import and only an xlsx import needs it (exports are
    # written by core.xlsx without it).
    import openpyxl

    binary = _binary(file)
    try:
        workbook = openpyxl.load_workbook(binary, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, KeyError, InvalidFileException ...
        raise ApplicationError(_("xlsx 文件无法读取：%(error)s") % {"error": exc}) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ApplicationError(_("文件为空：缺少表头行"))
        keys = [_header_key(h, aliases) for h in header]
        for number, values in enumerate(rows, start=2):
            if _is_blank(values):
                continue
            yield number, dict(zip(keys, values, strict=False))
    finally:
        workbook.close()
        if isinstance(file, (str, Path)):
            binary.close()


def _geojson_rows(file: Any, aliases: dict[str, str]) -> Iterator[tuple[int, dict[str, Any]]]:
    binary = _binary(file)
    try:
        data = json.load(binary)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApplicationError(_("GeoJSON 格式错误：%(error)s") % {"error": exc}) from None
    finally:
        if isinstance(file, (str, Path)):
            binary.close()
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
        data.get("features"), list
    ):
        raise ApplicationError(_("GeoJSON 格式错误：应为含 features 数组的 FeatureCollection"))
    for number, feature in enumerate(data["features"], start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (not isinstance(geometry, dict) or geometry.get("type") != "Point"
                or not isinstance(coordinates, list) or len(coordinates) < 2):
            raise ApplicationError(_("第 %(feature)d 个要素：几何应为 Point（经度, 纬度）") % {"feature": number},
                                   extra={"feature": number})
        properties = feature.get("properties") or {}
        row = {_header_key(k, aliases): v for k, v in properties.items()}
        row["lon"], row["lat"] = coordinates[0], coordinates[1]
        yield number, row


# ---------------------------------------------------------------------------------------------------
# Writers: generators of bytes, for StreamingHttpResponse or a file.

def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]], *, chunk_rows: int = 1000) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel opens the Chinese text correctly), yielded in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")
