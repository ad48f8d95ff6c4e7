"""What leaves the warehouse for a person: masked phone numbers, spreadsheet-safe cells."""
from __future__ import annotations

import re

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
