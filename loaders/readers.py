"""Readers: a CSV or Excel export → a table of text cells in a scratch DuckDB, plus its header.

CSV goes through DuckDB's own reader (never a Python loop per row).  Non-UTF-8 files (GBK /
GB18030, detected with charset-normalizer) are first transcoded to a temporary UTF-8 file in
chunks.  Excel goes through calamine, the fastest reader on PyPI.  The header row is looked for
among the first ``HEADER_SEARCH_ROWS`` rows, since exports often start with title lines
(导出时间…).  Every cell stays text here; casting happens in SQL in ``loaders.casts``.
"""
from __future__ import annotations

import bisect
import codecs
import csv
import datetime as dt
import io
import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import numpy as np
import pyarrow as pa

from loaders.errors import LoadError
from loaders.limits import limit
from loaders.schema import SCHEMAS, normalise_header
from texts import Message

HEADER_SEARCH_ROWS = 10
EXTRA_COLUMNS = 8          # room for rows with more cells than the header; such rows are rejected
SAMPLE_BYTES = 1 << 20
CHUNK = 4 << 20
# The scratch database's memory: past it DuckDB spills to the scratch folder, so a 2 GB export
# loads in well under 2 GB of RAM (docs/benchmarks.md).
LOAD_MEMORY = os.environ.get("CSDASH_LOAD_MEMORY", "1GB")


@dataclass
class RawTable:
    """Text cells in ``scratch`` table ``raw``: columns c<i> for the header's columns the load reads
    (``columns``, indices into ``headers``), c<width>..c<width + EXTRA_COLUMNS - 1> for cells past the
    header, and ``line_no`` (1-based line of the file where the row starts, or row of the sheet).
    ``bad_lines`` are rows whose bytes did not decode (they are rejected)."""
    scratch: duckdb.DuckDBPyConnection
    headers: list[str]
    header_line: int
    encoding: str
    sheet: str | None = None
    temp_files: list[str] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)

    @property
    def width(self) -> int:
        return len(self.headers)

    @property
    def extra(self) -> list[int]:
        return list(range(self.width, self.width + EXTRA_COLUMNS))

    @property
    def path(self) -> str:
        """The scratch database's file (the warehouse attaches it read-only to copy the rows over)."""
        return self.scratch.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                                    ).fetchone()[0]

    def release(self) -> None:
        """Close the scratch database and keep its file (``close`` removes it)."""
        self.scratch.close()

    def close(self) -> None:
        try:
            self.scratch.close()
        finally:
            remove_paths(self.temp_files)


Columns = Callable[[list[str]], Iterable[int]]   # which of a header's columns a load reads


def remove_paths(paths: Iterable[str]) -> None:
    for f in paths:
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
    # DuckDB rewrites a long IN list (the casts' "no value" words, per cell) into a hash join per
    # list: ninety joins on a tickets file, 45 % of the cast (measured at 1 M rows, docs/benchmarks.md)
    con.execute("SET disabled_optimizers = 'in_clause'")
    return con


SCRATCH_PREFIX = "csdash-"
STALE_SECONDS = 24 * 3600


def scratch_folder() -> str:
    return tempfile.mkdtemp(prefix=SCRATCH_PREFIX + "scratch-")


def sweep_stale_scratch(max_age: float = STALE_SECONDS, folder: str | None = None) -> int:
    """Remove scratch folders and files older than ``max_age`` seconds that a killed process left in
    the temporary folder; returns how many.  Run at every start of the app and of the loader."""
    root = Path(folder or tempfile.gettempdir())
    now, removed = time.time(), 0
    try:   # only what the loader makes: scratch folders and transcoded or COPY files (not, say, a test cluster)
        entries = [*root.glob(SCRATCH_PREFIX + "scratch-*"), *root.glob(SCRATCH_PREFIX + "*.csv")]
    except OSError:
        return 0
    for p in entries:
        try:
            if now - p.stat().st_mtime > max_age:
                remove_paths([str(p)])
                removed += 1
        except OSError:
            pass
    return removed


# ---------------------------------------------------------------- encodings
def _line_verdicts(data: bytes, encoding: str) -> tuple[int, int]:
    """(lines with non-ASCII bytes that decode, lines that do not) among ``data``'s whole lines."""
    ok = bad = 0
    for line in data.split(b"\n")[:-1]:
        if line.isascii():
            continue
        try:
            line.decode(encoding)
            ok += 1
        except UnicodeDecodeError:
            bad += 1
    return ok, bad


def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-8, gb18030 (for GBK/GB2312/GB18030) or utf-16, decided from the bytes.  A file
    mostly in UTF-8 with a few lines that are not stays UTF-8 (those lines are rejected); a UTF-8 BOM
    in front of GBK text is read as GBK."""
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    bom = head.startswith(codecs.BOM_UTF8)
    body = head[len(codecs.BOM_UTF8):] if bom else head
    ok, bad = _line_verdicts(body, "utf-8")
    if (bad == 0 and _head_decodes(body, "utf-8")) or ok > bad:
        return "utf-8-sig" if bom else "utf-8"
    # Chinese exports that are not UTF-8 are GBK/GB18030: take it when the header decodes as such
    # (a line further down that does not decode is then rejected with its line number).
    try:
        codecs.getincrementaldecoder("gb18030")().decode(body, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        first_line_end = body.find(b"\n")
        if 0 < first_line_end < exc.start:
            return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    name = (best.encoding if best else "").lower().replace("_", "")
    if name.startswith(("gb", "hz", "cp936")) or not name:
        return "gb18030"   # superset of GBK and GB2312
    return best.encoding


def _head_decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=False)
        return True
    except UnicodeDecodeError:
        return False


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


def transcode_to_utf8(path: Path, encoding: str) -> tuple[str, list[int]]:
    """Stream ``path`` into a temporary UTF-8 file (a leading UTF-8 BOM dropped).  Returns the file and
    the lines that did not decode as ``encoding``: they are written with U+FFFD in place of the bad
    bytes and rejected later.  More bad lines than good ones refuse the file (wrong encoding)."""
    fd, out = tempfile.mkstemp(suffix=".csv", prefix=SCRATCH_PREFIX)
    bad: list[int] = []
    line = 1
    try:
        with open(path, "rb") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
            if encoding.startswith("utf-16"):
                dec = codecs.getincrementaldecoder(encoding)()
                while chunk := src.read(CHUNK):
                    try:
                        dst.write(dec.decode(chunk))
                    except UnicodeDecodeError:
                        raise LoadError("load.undecodable_near", line=line, encoding=encoding) from None
                    line += chunk.count(b"\n\x00")
                return out, bad
            first, rest = True, b""
            while True:
                chunk = src.read(CHUNK)
                data = rest + chunk
                if first:
                    data, first = (data[3:] if data.startswith(codecs.BOM_UTF8) else data), False
                cut = data.rfind(b"\n") + 1 if chunk else len(data)
                part, rest = data[:cut], data[cut:]
                try:
                    dst.write(part.decode(encoding))
                except UnicodeDecodeError:
                    for k, piece in enumerate(part.split(b"\n")):
                        try:
                            text = piece.decode(encoding)
                        except UnicodeDecodeError:
                            text = piece.decode(encoding, errors="replace")
                            bad.append(line + k)
                        dst.write(text if k == 0 else "\n" + text)
                line += part.count(b"\n")
                if not chunk:
                    break
    except BaseException:
        os.unlink(out)
        raise
    if bad and len(bad) * 2 > max(line - 1, 1):
        os.unlink(out)
        raise LoadError("load.undecodable_lines", n=len(bad), encoding=encoding, first=bad[0])
    return out, bad


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


def _check_width(headers: list[str]) -> None:
    most = int(limit("max_columns"))
    if len(headers) > most:
        raise LoadError("load.too_many_columns", n=len(headers), most=most)


def _wanted(headers: list[str], columns: Columns | None) -> list[int]:
    """The header's columns to read: those ``columns`` names, and always the first (summary lines)."""
    chosen = set(range(len(headers))) if columns is None else {i for i in columns(headers) if i < len(headers)}
    return sorted(chosen | ({0} if headers else set()))


# ---------------------------------------------------------------- CSV
csv.field_size_limit(1 << 30)       # the header search reads whole lines; DuckDB reads the rest
DUCKDB_MAX_LINE = 32 << 20          # a row longer than this refuses the file (its cells are over the limit anyway)
# DuckDB's CSV buffer defaults to 16 × max_line_size: 512 MiB per reading thread, which a 2 GB file
# fills and the scratch's 1 GB memory limit cannot hold (found at 10 M rows).  Two lines' worth is enough.
DUCKDB_CSV_BUFFER = 2 * DUCKDB_MAX_LINE


def record_lines(path: str, skip: int) -> np.ndarray:
    """The physical line (1-based) where each CSV record after the first ``skip`` lines starts: a quoted
    cell may span lines, and empty lines are not records.  Quote parity at each newline, in numpy."""
    nls, quotes_at, cr_before = [], [], []
    offset, quotes, prev_last = 0, 0, 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            b = np.frombuffer(chunk, np.uint8)
            nl = np.flatnonzero(b == 10)
            q = np.cumsum(b == 34, dtype=np.int64)
            nls.append(nl + offset)
            quotes_at.append(quotes + q[nl])
            before = np.where(nl > 0, b[np.maximum(nl - 1, 0)], prev_last)
            cr_before.append(before == 13)
            quotes += int(q[-1])
            offset += len(chunk)
            prev_last = int(b[-1])
    nl = np.concatenate(nls) if nls else np.zeros(0, np.int64)
    qa = np.concatenate(quotes_at) if quotes_at else np.zeros(0, np.int64)
    cr = np.concatenate(cr_before) if cr_before else np.zeros(0, bool)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [offset]))
    crs = np.concatenate((cr, [False]))
    length = ends - starts - crs
    outside = np.concatenate(([True], qa % 2 == 0))     # the newline before the line is not inside quotes
    lines = np.arange(1, len(starts) + 1)
    out = lines[outside & (length > 0)]
    return out[out > skip]


def read_csv(path: Path, kind: str, extra_aliases: set[str] = frozenset(), columns: Columns | None = None) -> RawTable:
    encoding = detect_encoding(path)
    temp_files: list[str] = []
    source, bad_lines = str(path), []
    if encoding not in ("utf-8", "utf-8-sig") or not _decodes(path, "utf-8"):
        source, bad_lines = transcode_to_utf8(path, encoding)
        temp_files.append(source)
    try:
        return _read_utf8_csv(source, kind, extra_aliases, columns, encoding, bad_lines, temp_files)
    except BaseException:
        remove_paths(temp_files)
        raise


def _read_utf8_csv(source: str, kind: str, extra_aliases, columns, encoding: str, bad_lines: list[int],
                   temp_files: list[str]) -> RawTable:
    with open(source, encoding="utf-8-sig", newline="", errors="replace") as fh:
        head_text = fh.read(256 * 1024)
    head_lines = head_text.splitlines()[: HEADER_SEARCH_ROWS + 1]
    if not any(line.strip() for line in head_lines):
        raise LoadError("load.empty_text")
    delim = _sniff_delimiter(head_lines[:HEADER_SEARCH_ROWS])
    try:
        rows = list(csv.reader(io.StringIO("\n".join(head_lines)), delimiter=delim))
    except csv.Error as exc:
        raise LoadError("load.bad_header", detail=str(exc)) from None
    header_idx = find_header_row(rows, kind, extra_aliases)
    headers = [h.strip() for h in rows[header_idx]]
    while headers and not headers[-1]:
        headers.pop()
    _check_width(headers)
    # physical line of the header: count the lines before it (title lines are single lines)
    header_line = header_idx + 1
    width = len(headers) + EXTRA_COLUMNS
    wanted = _wanted(headers, columns)
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    pick = ", ".join(f"c{i}" for i in [*wanted, *range(len(headers), width)])
    folder = scratch_folder()
    temp_files.append(folder)
    scratch = new_scratch(folder)
    table = RawTable(scratch, headers, header_line, encoding, temp_files=temp_files, columns=wanted)

    def read(parallel: bool) -> None:
        scratch.execute(
            f"CREATE OR REPLACE TEMP TABLE raw0 AS SELECT {pick} FROM read_csv(?, header=false, skip={header_line}, "
            f"all_varchar=true, delim=?, quote='\"', escape='\"', null_padding=true, strict_mode=false, "
            f"auto_detect=false, max_line_size={DUCKDB_MAX_LINE}, buffer_size={DUCKDB_CSV_BUFFER}, parallel={str(parallel).lower()}, columns={cols})",
            [source, delim]).fetchall()   # DuckDB 2 streams lazily: finish the statement before the next

    try:
        try:
            read(True)
            # DuckDB's parallel reader keeps the file's order (preserve_insertion_order), so a row's line
            # is its rowid plus the lines before it: no window over the whole file
            scratch.execute(f"CREATE VIEW raw AS SELECT *, rowid + {header_line + 1} AS line_no FROM raw0")
        except duckdb.Error as exc:
            if "quoted new lines" not in " ".join(str(exc).split()):
                raise
            # a quoted cell spans lines (客户意见 with a line break): the serial reader, and each row's
            # first line from the quote parity of the file's newlines
            read(False)
            starts = record_lines(source, header_line)
            n = scratch.execute("SELECT count(*) FROM raw0").fetchall()[0][0]
            if len(starts) == n:
                scratch.register("line_map0", pa.table({"line_no": pa.array(starts, pa.int64())}))
                scratch.execute("CREATE TEMP TABLE line_map AS SELECT * FROM line_map0").fetchall()
                scratch.unregister("line_map0")
                scratch.execute("CREATE VIEW raw AS SELECT * FROM raw0 POSITIONAL JOIN line_map")
                if bad_lines:
                    bad_lines = sorted({int(starts[max(bisect.bisect_right(starts, b) - 1, 0)]) for b in bad_lines})
            else:
                scratch.execute(f"CREATE VIEW raw AS SELECT *, rowid + {header_line + 1} AS line_no FROM raw0")
                table.notes.append(Message("load.note.multiline"))
    except duckdb.Error as exc:
        table.close()
        first = str(exc).splitlines()[0]
        if "Maximum line size" in str(exc) or "LINE SIZE" in str(exc).upper():
            raise LoadError("load.bad_csv_long_line", detail=first, mb=DUCKDB_MAX_LINE >> 20) from None
        raise LoadError("load.bad_csv", detail=first) from None
    table.bad_lines = bad_lines
    return table


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


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')
EXCEL_BATCH = 50_000


def check_xlsx_size(path: Path) -> None:
    """Refuse an .xlsx whose unpacked size or row count passes its limit, before anything is expanded
    (a 7 MB file can unpack to millions of rows)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return   # not a zip (an .xls or .ods): calamine reads it or says why
    with zf:
        total = sum(i.file_size for i in zf.infolist())
        most_mb = int(limit("max_xlsx_mb"))
        if total > most_mb << 20:
            raise LoadError("load.xlsx_too_big", mb=total >> 20, most=most_mb)
        most_rows = int(limit("max_xlsx_rows"))
        for info in zf.infolist():
            if not info.filename.startswith("xl/worksheets/") or not info.filename.endswith(".xml"):
                continue
            with zf.open(info) as fh:
                m = _DIMENSION.search(fh.read(4096))
            if m and m.group(1) and int(m.group(1)) > most_rows:
                raise LoadError("load.xlsx_too_many_rows", n=int(m.group(1)), most=most_rows)


def read_excel(path: Path, kind: str, sheet: str | None = None,
               extra_aliases: set[str] = frozenset(), columns: Columns | None = None) -> RawTable:
    from python_calamine import CalamineWorkbook

    check_xlsx_size(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        if sheet is not None and sheet not in wb.sheet_names:
            raise LoadError("load.no_sheet", sheet=sheet, sheets=", ".join(wb.sheet_names))
        ws = wb.get_sheet_by_name(sheet) if sheet else wb.get_sheet_by_index(0)
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError("load.bad_excel", detail=str(exc)) from None
    if ws.height > int(limit("max_xlsx_rows")):
        raise LoadError("load.sheet_too_many_rows", n=ws.height, most=int(limit("max_xlsx_rows")))
    rows = ws.iter_rows()
    top = []
    for r in rows:
        top.append(r)
        if len(top) >= HEADER_SEARCH_ROWS:
            break
    if not top or not any(any(_cell_text(c) for c in r) for r in top):
        rest = next(rows, None)
        if rest is None or not any(_cell_text(c) for c in rest):
            raise LoadError("load.empty_sheet", sheet=ws.name)
        top.append(rest)
    header_idx = find_header_row([[_cell_text(c) or "" for c in r] for r in top], kind, extra_aliases)
    headers = [(_cell_text(c) or "").strip() for c in top[header_idx]]
    while headers and not headers[-1]:
        headers.pop()
    _check_width(headers)
    width = len(headers) + EXTRA_COLUMNS
    wanted = _wanted(headers, columns)
    keep = [*wanted, *range(len(headers), width)]
    folder = scratch_folder()
    scratch = new_scratch(folder)
    table = RawTable(scratch, headers, header_idx + 1, "xlsx", sheet=ws.name, temp_files=[folder], columns=wanted)
    non_empty = " OR ".join(f"c{i} IS NOT NULL" for i in keep)
    scratch.execute("CREATE TABLE raw (" + ", ".join(f"c{i} VARCHAR" for i in keep) + ", line_no BIGINT)")
    line = header_idx + 2
    pending = top[header_idx + 1:]

    def flush(batch: list) -> None:
        nonlocal line
        if not batch:
            return
        arrays = {f"c{i}": pa.array([_cell_text(r[i]) if i < len(r) else None for r in batch], pa.string())
                  for i in keep}
        arrays["line_no"] = pa.array(range(line, line + len(batch)), pa.int64())
        line += len(batch)
        scratch.register("excel_rows", pa.table(arrays))
        # drop rows that are entirely empty (Excel keeps formatted blank rows)
        scratch.execute(f"INSERT INTO raw SELECT * FROM excel_rows WHERE {non_empty}")
        scratch.unregister("excel_rows")

    try:
        for r in rows:
            pending.append(r)
            if len(pending) >= EXCEL_BATCH:
                flush(pending)
                pending = []
        flush(pending)
    except Exception as exc:
        table.close()
        raise LoadError("load.bad_excel", detail=str(exc)) from None
    return table


def read_file(path: Path, kind: str, sheet: str | None = None,
              extra_aliases: set[str] = frozenset(), columns: Columns | None = None) -> RawTable:
    """The file's cells as text in a scratch DuckDB; ``columns`` picks the header's columns to read
    (all when None).  Every problem with the file itself is a ``LoadError``."""
    path = Path(path)
    if not path.exists():
        raise LoadError("load.no_file")
    if path.stat().st_size == 0:
        raise LoadError("load.zero_bytes")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        return read_excel(path, kind, sheet, extra_aliases, columns)
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic == b"PK\x03\x04":   # an .xlsx saved with a .csv name happens
        return read_excel(path, kind, sheet, extra_aliases, columns)
    return read_csv(path, kind, extra_aliases, columns)


# ---------------------------------------------------------------- which kind is this file?
def first_rows(path: Path) -> list[list[str]]:
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods") or head[:4] == b"PK\x03\x04":
        from python_calamine import CalamineWorkbook

        check_xlsx_size(path)
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()
        return [[_cell_text(c) or "" for c in r] for _, r in zip(range(HEADER_SEARCH_ROWS), rows)]
    encoding = detect_encoding(path)
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    text = head.decode("utf-8" if encoding == "utf-8-sig" else encoding, errors="replace")
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    return list(csv.reader(lines, delimiter=_sniff_delimiter(lines)))


def detect_kind(path: str | Path) -> str | None:
    """The export kind whose required columns all appear in a header row of the file's first rows
    (most matching headers wins); None when no kind fits.  A file over a limit is refused here
    (``LoadError``) rather than reported as of no kind."""
    try:
        rows = first_rows(Path(path))
    except LoadError:
        raise
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
