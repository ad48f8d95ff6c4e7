"""What leaves the warehouse for a person or a JSON column: masked phone numbers, spreadsheet-safe
cells, plain JSON values."""
from __future__ import annotations

import math
import re
from datetime import date, datetime

_PHONE = re.compile(r"^(\+?86)?(1\d{2})(\d{4})(\d{4})$")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def spreadsheet_safe(value):
    """Escape text that a spreadsheet would run as a formula (=, +, -, @) with a leading apostrophe.
    Plain numbers such as -5 are left alone; the loaders drop the apostrophe on re-import."""
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES) or _NUMBER.match(value):
        return value
    return "'" + value


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
