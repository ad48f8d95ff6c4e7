"""What leaves the warehouse for a person or a JSON column: masked phone numbers, spreadsheet-safe
cells, plain JSON values."""
from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime

_PHONE = re.compile(r"^(\+?86)?(1\d{2})(\d{4})(\d{4})$")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Control characters (C0 but tab and line breaks, DEL), zero-width marks, bidi overrides/isolates
# (they reorder what a reader sees) and the noncharacters U+FFFE/U+FFFF: removed from text at load
# (loaders/casts.py, as an RE2 class) and before text reaches a page, a document or a spreadsheet
# (an .xlsx cannot hold them: a NUL in a name made the appraisal workbook unreadable).  The one
# declaration of the set.
CONTROL_RANGES = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x7F), (0x200B, 0x200F), (0x202A, 0x202E),
                  (0x2066, 0x2069), (0xFFFE, 0xFFFF))


def control_class(re2: bool = False) -> str:
    """The set as a regular-expression class, for Python's ``re`` or for RE2 (DuckDB)."""
    def ch(c: int) -> str:
        return f"\\x{{{c:x}}}" if re2 else f"\\u{c:04x}"
    return "[" + "".join(ch(a) if a == b else f"{ch(a)}-{ch(b)}" for a, b in CONTROL_RANGES) + "]"


_CONTROL = re.compile(control_class())


def strip_control(value) -> str:
    """``value`` as text without control or bidi characters (None → "")."""
    return _CONTROL.sub("", "" if value is None else str(value))


_LEADING_BLANKS = " \u3000\u00a0\n"
# every .xlsx the product writes: text stays text (never a formula, a link or a number)
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def mask_phone(value: str | None) -> str | None:
    """138****5678; numbers that arrive masked, or are not mobile numbers, keep all but the last 4."""
    if value is None:
        return None
    text = str(value).strip()
    if "*" in text:
        return text
    m = _PHONE.match(text)
    if m:
        return f"{m.group(2)}****{m.group(4)}"
    return text if len(text) <= 4 else "*" * (len(text) - 4) + text[-4:]


# a mobile number anywhere in a text: 11 digits starting 1[3-9], not inside a longer run of digits
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_phones_in(text: str | None) -> str | None:
    """Every mobile number inside ``text`` masked (138****5678): for texts that carry cells verbatim,
    such as a rejected row shown on the import page."""
    if text is None:
        return None
    return _PHONE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", str(text))


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe: a first character (after
    blanks, full-width forms folded) of = + - @, or a tab or CR.  Plain numbers such as -5 are left
    alone; control characters (those an .xlsx cannot hold among them) are removed.  The loaders drop the apostrophe on re-import."""
    if not isinstance(value, str):
        return value
    text = strip_control(value)
    if _NUMBER.match(text.strip()):
        return text
    head = unicodedata.normalize("NFKC", text.lstrip(_LEADING_BLANKS)[:1])
    if text.startswith(("\t", "\r")) or head.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def safe_frame(df):
    """Every text cell and header of ``df`` through ``spreadsheet_safe``, whatever the column's dtype
    (pandas 3 text is ``str``, older frames ``object``); numbers, booleans and dates stay as they are."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)
                or isinstance(s.dtype, pd.PeriodDtype)):
            out[col] = s.map(spreadsheet_safe).astype(object)
    out.columns = [spreadsheet_safe(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out


def excel_writer(target):
    """The one .xlsx writer: xlsxwriter with text kept as text (``XLSX_OPTIONS``)."""
    import pandas as pd

    return pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS})


def csv_bytes(df) -> bytes:
    """A frame as CSV for Excel (UTF-8 with BOM, CRLF), formula-injection safe."""
    return safe_frame(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")   # RFC 4180: CR in a cell is quoted


def xlsx_bytes(sheets: dict) -> bytes:
    """Frames as one .xlsx (sheet name → frame), formula-injection safe."""
    import io

    buf = io.BytesIO()
    with excel_writer(buf) as xw:
        for name, df in sheets.items():
            safe_frame(df).to_excel(xw, index=False, sheet_name=sheet_name(name))
    return buf.getvalue()


def sheet_name(text: str, used: set[str] | None = None) -> str:
    """A valid, unique worksheet name: no []:*?/\\ or control characters, at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\]", "_", strip_control(text)).strip("' ")[:28] or "Sheet"
    out, k = base, 2
    while used is not None and out in used:
        out, k = f"{base[:25]}~{k}", k + 1
    if used is not None:
        used.add(out)
    return out


def json_value(v):
    """A cell as JSON stores it (the frozen appraisal and review-pack tables): numpy and pandas
    scalars as Python numbers, NaN/NA as null, dates as ISO text."""
    import numpy as np
    import pandas as pd

    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, datetime, date)):
        return v.isoformat()
    return v
