"""Which months hold data: the month picker's choices and defaults."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from loaders.limits import date_window
from metrics import rollups
from metrics.compare import complete_months
from metrics.months import add_months, parse_month
from warehouse.kinds import EVENT_KINDS, SCHEMAS


def loaded_months(wh) -> list[date]:
    """Months with any event of the kinds that have one (tickets, callbacks, orders…), oldest first."""
    lo, hi = date_window()
    with wh.connect() as conn:
        days = rollups.day_tables(conn)   # the days roll-ups when current, else the facts
        sql = " UNION ".join(f"SELECT DISTINCT month AS m FROM {days[k]}" if days else
                             f"SELECT DISTINCT CAST(date_trunc('month', {SCHEMAS[k].event}) AS DATE) AS m FROM {k}"
                             for k in EVENT_KINDS)
        rows = conn.execute(sa.text(f"SELECT DISTINCT m FROM ({sql}) x WHERE m IS NOT NULL AND m >= :lo AND m <= :hi "
                                    "ORDER BY m"), {"lo": lo.replace(day=1), "hi": hi}).fetchall()
    # rows outside the loaders' plausible window (stored before it existed) never become months
    return [parse_month(r[0] if isinstance(r[0], date) else r[0].date()) for r in rows]


def default_month(wh, months: list[date] | None = None) -> date | None:
    """The newest month whose calls are completely loaded, else the newest month."""
    months = loaded_months(wh) if months is None else months
    if not months:
        return None
    complete = complete_months(wh, months[-2:])
    for m in reversed(months[-2:]):
        if complete.get(("tickets", m)):
            return m
    return months[-1]


def previous_months(month: date, n: int) -> list[date]:
    return [add_months(month, -i) for i in range(n - 1, -1, -1)]
