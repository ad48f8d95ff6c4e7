"""Numbers as a Chinese manager reads them: ¥ with 万, percentages with one decimal, 2026年10月.

Pure functions (no Streamlit), shared by the pages and the exports.  A unit is its name
(``metrics.registry.Unit`` is a ``str`` enum: ``"percent"``, ``"yuan"``…), so this layer imports none of ours."""
from __future__ import annotations

from datetime import date
import math
import re

_MONTH = re.compile(r"^\s*(\d{4})\D+(\d{1,2})")


def _month(m: str | date) -> date:
    """A month key (``2026-10``, ``2026年10月``) or a date → the month's first day."""
    if isinstance(m, date):
        return m.replace(day=1)
    found = _MONTH.match(str(m))
    if not found:
        raise ValueError(f"not a month: {m!r}")
    return date(int(found.group(1)), int(found.group(2)), 1)

EMPTY = "—"
STATUS_COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "grey": "#9e9e9e"}
# Markdown colour directives: no emoji font needed on the viewer's machine
STATUS_ICONS = {"green": ":green[●]", "amber": ":orange[●]", "red": ":red[●]", "grey": ":gray[●]"}
# one palette for series everywhere (status colours above are reserved for target status)
PALETTE = ["#1f5fa8", "#e07b39", "#5b9bd5", "#7f6aa8", "#3fa79a", "#b85c8c", "#8c8c3a", "#4d4d4d"]
_EN_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


# the units written as a number and a word (decimals, Chinese, English); percent, yuan and counts have
# their own forms below.  ``metrics.registry.Unit`` is checked against this table (tests/test_declarations).
SUFFIXED = {
    "seconds": (1, "秒", " s"), "hours": (1, "小时", " h"), "points": (2, "分", " pts"),
    "times": (2, "次", "×"), "days": (1, "天", " d"), "per_10k": (2, "件/万元", " per ¥10k"),
}


def is_empty(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def value(v, unit: str, lang: str = "zh") -> str:
    if is_empty(v):
        return EMPTY
    unit = str(getattr(unit, "value", unit))
    v = float(v)
    zh = lang == "zh"
    if unit == "percent":
        return f"{v * 100:.1f}%"
    if unit == "yuan":
        if abs(v) >= 1e8:   # a chain's year, or a hostile order: 亿 keeps the card readable
            return f"¥{v / 1e8:,.2f}亿" if zh else (f"¥{v / 1e9:,.2f}B" if abs(v) >= 1e9 else f"¥{v / 1e6:,.1f}M")
        if abs(v) >= 10_000:
            return f"¥{v / 10_000:,.1f}万" if zh else (f"¥{v / 1e6:,.2f}M" if abs(v) >= 1e6 else f"¥{v / 1e3:,.1f}K")
        return f"¥{v:,.2f}" if abs(v) < 1000 else f"¥{v:,.0f}"
    if unit in SUFFIXED:
        decimals, zh_suffix, en_suffix = SUFFIXED[unit]
        return f"{v:.{decimals}f}{zh_suffix if zh else en_suffix}"
    if zh and abs(v) >= 1e8:
        return f"{v / 1e8:,.2f}亿"
    return f"{v / 10_000:,.1f}万" if zh and abs(v) >= 1_000_000 else f"{v:,.0f}"


def delta(d, unit: str) -> str | None:
    """MoM/YoY: percentage points for rates, % for everything else; None when there is none."""
    if is_empty(d):
        return None
    shown = round(d * 100, 1) + 0.0   # no "-0.0"
    return f"{shown:+.1f}pp" if str(getattr(unit, "value", unit)) == "percent" else f"{shown:+.1f}%"


def month_label(m: str | date, lang: str = "zh") -> str:
    d = _month(m)
    return f"{d.year}年{d.month}月" if lang == "zh" else f"{_EN_MONTHS[d.month - 1]} {d.year}"


def day_label(d: date, lang: str = "zh") -> str:
    """A day on an axis: 10月5日 / 5 Oct."""
    d = d if isinstance(d, date) else date.fromisoformat(str(d)[:10])
    return f"{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {_EN_MONTHS[d.month - 1]}"


def axis_value(v, unit: str) -> float | None:
    """A figure for a chart axis: rates in %, everything else as is."""
    if is_empty(v):
        return None
    return float(v) * 100 if str(getattr(unit, "value", unit)) == "percent" else float(v)
