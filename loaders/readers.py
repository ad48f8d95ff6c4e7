"""Readers: a CSV or Excel export → a table of text cells in a scratch DuckDB, plus its header.

CSV goes through DuckDB's own reader (never a Python loop per row).  Non-UTF-8 files (GBK /
GB18030, detected with charset-normalizer) are first transcoded to a temporary UTF-8 file in
chunks.  Excel goes through calamine, the fastest reader on PyPI.  The header row is looked for
among the first ``HEADER_SEARCH_ROWS`` rows, since exports often start with title lines
(导出时间…).  Every cell stays text here; casting happens in SQL in ``loaders.casts``.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from loaders.errors import LoadError
from loaders.schema import SCHEMAS, normalise_header

HEADER_SEARCH_ROWS = 10
EXTRA_COLUMNS = 8          # room for rows with more cells than the header; such rows are rejected
SAMPLE_BYTES = 1 << 20
CHUNK = 4 << 20
# The scratch database's memory: past it DuckDB spills to the scratch folder, so a 2 GB export
# loads in well under 2 GB of RAM (docs/benchmarks.md).
LOAD_MEMORY = os.environ.get("CSDASH_LOAD_MEMORY", "1GB")


@dataclass
class RawTable:
    """Text cells in ``scratch`` table ``raw``: columns c0..cN (N = len(headers) + EXTRA_COLUMNS)
    and ``line_no`` (1-based line of the file, or row of the sheet)."""
    scratch: duckdb.DuckDBPyConnection
    headers: list[str]
    header_line: int
    encoding: str
    sheet: str | None = None
    temp_files: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return len(self.headers)

    @property
    def path(self) -> str:
        """The scratch database's file (the warehouse attaches it read-only to copy the rows over)."""
        return self.scratch.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                                    ).fetchone()[0]

    def release(self) -> None:
        """Close the scratch database and keep its file (``close`` removes it)."""
        self.scratch.close()

    def close(self) -> None:
        self.scratch.close()
        for f in self.temp_files:
            try:
                if os.path.isdir(f):
                    shutil.rmtree(f, ignore_errors=True)
                else:
                    os.unlink(f)
            except OSError:
                pass


def new_scratch(folder: str | None = None) -> duckdb.DuckDBPyConnection:
    """A private DuckDB for parsing: in ``folder`` (a file that can spill past ``LOAD_MEMORY``), or in memory."""
    if folder is None:
        con = duckdb.connect(":memory:")
    else:
        con = duckdb.connect(os.path.join(folder, "scratch.duckdb"))
        con.execute("SET temp_directory = ?", [os.path.join(folder, "spill")])
        con.execute("SET memory_limit = ?", [LOAD_MEMORY])
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    return con


def scratch_folder() -> str:
    return tempfile.mkdtemp(prefix="csdash-scratch-")


# ---------------------------------------------------------------- encodings
def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-8, gb18030 (for GBK/GB2312/GB18030) or utf-16, decided from the bytes."""
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(path, "utf-8"):
        return "utf-8"
    # Chinese exports that are not UTF-8 are GBK/GB18030: take it when the header decodes as such
    # (a bad byte further down then fails the file with its line number, in transcode_to_utf8).
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        first_line_end = head.find(b"\n")
        if 0 < first_line_end < exc.start:
            return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    name = (best.encoding if best else "").lower().replace("_", "")
    if name.startswith(("gb", "hz", "cp936")) or not name:
        return "gb18030"   # superset of GBK and GB2312
    return best.encoding


def _decodes(path: Path, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                dec.decode(chunk)
            dec.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False


def transcode_to_utf8(path: Path, encoding: str) -> str:
    """Stream ``path`` into a temporary UTF-8 file; a byte that is not ``encoding`` fails the file
    with its line number."""
    fd, out = tempfile.mkstemp(suffix=".csv", prefix="csdash-")
    dec = codecs.getincrementaldecoder(encoding)()
    line = 1
    try:
        with open(path, "rb") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(CHUNK):
                try:
                    text = dec.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad_line = line + chunk[: exc.start].count(b"\n")
                    raise LoadError(f"第 {bad_line} 行含有无法按 {encoding} 解码的字节，请检查文件编码") from None
                line += chunk.count(b"\n")
                dst.write(text)
            dst.write(dec.decode(b"", final=True))
    except BaseException:
        os.unlink(out)
        raise
    return out


# ---------------------------------------------------------------- header row
def _alias_sets(kind: str) -> tuple[set[str], set[str]]:
    own = {normalise_header(a) for c in SCHEMAS[kind].columns for a in c.aliases}
    every = {normalise_header(a) for s in SCHEMAS.values() for c in s.columns for a in c.aliases}
    return own, every


def find_header_row(rows: list[list[str]], kind: str, extra_aliases: set[str] = frozenset()) -> int:
    """Index of the row that looks most like this kind's header (then any kind's), else the first
    non-empty row."""
    own, every = _alias_sets(kind)
    own |= {normalise_header(a) for a in extra_aliases}
    best, best_score = None, (0, 0)
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [normalise_header(c) for c in row if str(c).strip()]
        score = (sum(c in own for c in cells), sum(c in every for c in cells))
        if score > best_score:
            best, best_score = i, score
    if best is not None:
        return best
    return next((i for i, r in enumerate(rows) if any(str(c).strip() for c in r)), 0)


def _sniff_delimiter(lines: list[str]) -> str:
    sample = "\n".join(lines)
    counts = {d: sample.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


# ---------------------------------------------------------------- CSV
def read_csv(path: Path, kind: str, extra_aliases: set[str] = frozenset()) -> RawTable:
    encoding = detect_encoding(path)
    temp_files: list[str] = []
    source = str(path)
    if encoding not in ("utf-8", "utf-8-sig"):
        source = transcode_to_utf8(path, encoding)
        temp_files.append(source)
    with open(source, encoding="utf-8-sig", newline="") as fh:
        head_text = fh.read(256 * 1024)
    head_lines = head_text.splitlines()[: HEADER_SEARCH_ROWS + 1]
    if not any(line.strip() for line in head_lines):
        raise LoadError("文件是空的，没有表头也没有数据")
    delim = _sniff_delimiter(head_lines[:HEADER_SEARCH_ROWS])
    rows = list(csv.reader(io.StringIO("\n".join(head_lines)), delimiter=delim))
    header_idx = find_header_row(rows, kind, extra_aliases)
    headers = [h.strip() for h in rows[header_idx]]
    while headers and not headers[-1]:
        headers.pop()
    # physical line of the header: count the lines before it (title lines are single lines)
    header_line = header_idx + 1
    width = len(headers) + EXTRA_COLUMNS
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    folder = scratch_folder()
    temp_files.append(folder)
    scratch = new_scratch(folder)
    # DuckDB's parallel reader keeps the file's order (preserve_insertion_order), so a row's line is its
    # rowid plus the lines before it: no window over the whole file
    sql = (
        f"CREATE TEMP TABLE raw0 AS SELECT * FROM read_csv(?, header=false, skip={header_line}, "
        f"all_varchar=true, delim=?, quote='\"', escape='\"', null_padding=true, strict_mode=false, "
        f"auto_detect=false, columns={cols})"
    )
    try:
        scratch.execute(sql, [source, delim])
        scratch.execute(f"CREATE VIEW raw AS SELECT *, rowid + {header_line + 1} AS line_no FROM raw0")
    except duckdb.Error as exc:
        RawTable(scratch, headers, header_line, encoding, temp_files=temp_files).close()
        raise LoadError(f"无法按 CSV 读取：{str(exc).splitlines()[0]}") from None
    return RawTable(scratch, headers, header_line, encoding, temp_files=temp_files)


# ---------------------------------------------------------------- Excel
def _cell_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value.total_seconds())
    return str(value)


def read_excel(path: Path, kind: str, sheet: str | None = None,
               extra_aliases: set[str] = frozenset()) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise LoadError(f"无法按 Excel 读取：{exc}") from None
    if sheet is not None and sheet not in wb.sheet_names:
        raise LoadError(f"没有名为「{sheet}」的工作表；文件中的工作表：{', '.join(wb.sheet_names)}")
    ws = wb.get_sheet_by_name(sheet) if sheet else wb.get_sheet_by_index(0)
    rows = ws.to_python(skip_empty_area=False)
    if not rows or not any(any(_cell_text(c) for c in r) for r in rows):
        raise LoadError(f"工作表「{ws.name}」是空的")
    header_idx = find_header_row([[_cell_text(c) or "" for c in r] for r in rows[:HEADER_SEARCH_ROWS]],
                                 kind, extra_aliases)
    headers = [(_cell_text(c) or "").strip() for c in rows[header_idx]]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers) + EXTRA_COLUMNS
    body = rows[header_idx + 1:]
    columns = {}
    for i in range(width):
        columns[f"c{i}"] = pa.array([_cell_text(r[i]) if i < len(r) else None for r in body], pa.string())
    columns["line_no"] = pa.array(range(header_idx + 2, header_idx + 2 + len(body)), pa.int64())
    table = pa.table(columns)
    folder = scratch_folder()
    scratch = new_scratch(folder)
    scratch.register("excel_rows", table)
    # drop rows that are entirely empty (Excel keeps formatted blank rows)
    non_empty = " OR ".join(f"c{i} IS NOT NULL" for i in range(width))
    scratch.execute(f"CREATE TABLE raw AS SELECT * FROM excel_rows WHERE {non_empty}")
    scratch.unregister("excel_rows")
    return RawTable(scratch, headers, header_idx + 1, "xlsx", sheet=ws.name, temp_files=[folder])


def read_file(path: Path, kind: str, sheet: str | None = None,
              extra_aliases: set[str] = frozenset()) -> RawTable:
    path = Path(path)
    if not path.exists():
        raise LoadError("文件不存在")
    if path.stat().st_size == 0:
        raise LoadError("文件是空的（0 字节）")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        return read_excel(path, kind, sheet, extra_aliases)
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic == b"PK\x03\x04":   # an .xlsx saved with a .csv name happens
        return read_excel(path, kind, sheet, extra_aliases)
    return read_csv(path, kind, extra_aliases)


# ---------------------------------------------------------------- which kind is this file?
def _first_rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods") or path.read_bytes()[:4] == b"PK\x03\x04":
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(nrows=HEADER_SEARCH_ROWS)
        return [[_cell_text(c) or "" for c in r] for r in rows]
    encoding = detect_encoding(path)
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024).decode(encoding, errors="ignore").lstrip("\ufeff")
    lines = head.splitlines()[:HEADER_SEARCH_ROWS]
    return list(csv.reader(lines, delimiter=_sniff_delimiter(lines)))


def detect_kind(path: str | Path) -> str | None:
    """The export kind whose required columns all appear in a header row of the file's first rows
    (most matching headers wins); None when no kind fits."""
    try:
        rows = _first_rows(Path(path))
    except Exception:
        return None
    best, best_score = None, 0
    for kind, schema in SCHEMAS.items():
        for row in rows:
            cells = {normalise_header(c) for c in row if str(c).strip()}
            names = [{normalise_header(a) for a in (c.name, *c.aliases)} for c in schema.columns]
            required = [n for n, c in zip(names, schema.columns) if c.required]
            if required and all(n & cells for n in required):
                score = sum(bool(n & cells) for n in names)
                if score > best_score:
                    best, best_score = kind, score
    return best
