"""Months as the dashboard names them: ``2026-10`` ↔ ``date(2026, 10, 1)``.

Every figure belongs to the natural month of its event (每月1日至月末), local time.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import Iterable

from metrics.errors import MetricError

_MONTH = re.compile(r"^\s*(\d{4})\s*(?:-|/|年)\s*(\d{1,2})\s*月?\s*$")


def parse_month(text: str | date) -> date:
    """``2026-10`` / ``2026/10`` / ``2026年10月`` (or a date) → the month's first day."""
    if isinstance(text, date):
        return text.replace(day=1)
    m = _MONTH.match(str(text))
    if not m or not 1 <= int(m.group(2)) <= 12 or not 1900 <= int(m.group(1)) <= 2999:
        raise MetricError("metric.bad_month", text=text)
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_arg(text: str) -> str:
    """An ``argparse`` type: a month in any accepted spelling → ``2026-10``; a bad one is a usage error."""
    import argparse

    try:
        return month_key(parse_month(text))
    except MetricError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, 1)


def month_range(first: str | date, last: str | date) -> tuple[date, ...]:
    a, b = parse_month(first), parse_month(last)
    if b < a:
        raise MetricError("metric.end_before_start", end=month_key(b), start=month_key(a))
    out = [a]
    while out[-1] < b:
        out.append(add_months(out[-1], 1))
    return tuple(out)


def normalise(months: Iterable[str | date]) -> tuple[date, ...]:
    out = tuple(sorted({parse_month(m) for m in months}))
    if not out:
        raise MetricError("metric.no_month")
    return out


def is_contiguous(months: tuple[date, ...]) -> bool:
    return all(add_months(a, 1) == b for a, b in zip(months, months[1:]))


def days_in_month(d: date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


def month_end(d: date) -> datetime:
    """The first instant after the month (exclusive bound)."""
    return datetime.combine(add_months(d, 1), datetime.min.time())


def last_day(d: date) -> date:
    return add_months(d, 1) - timedelta(days=1)


def zh_month(d: date | str) -> str:
    """``2026年10月`` as a Chinese manager writes it."""
    d = parse_month(d)
    return f"{d.year}年{d.month}月"
