"""The builder's SQL: one source's rows with the viewer's scope and the filters applied, and one
grouped SELECT over its facts.  ``metrics.query`` plans and runs them; ``metrics.rollups`` stores
the same statements' results per month.  The scope is applied here and only here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from metrics.errors import MetricError
from metrics.months import add_months, is_contiguous, month_end
from metrics.scope import Filters, Scope
from metrics.settings import Settings
from metrics.sources import ROSTER_PERIODS, SOURCES, Request

# scope level → dimension column; a viewer's scope is an AND of its levels (least privilege)
_SCOPE_COLUMNS = (("regions", "region"), ("stores", "store"), ("teams", "team"))


@dataclass(frozen=True)
class Query:
    """One grouped SELECT for one source, ready to run; ``measures`` maps column → Σ expression."""
    source: str
    sql: str
    params: dict
    expanding: tuple[str, ...]
    dims: tuple[str, ...]
    measures: dict[str, str]
    rollup: str | None = None        # the roll-up table it reads, None for the facts

    def statement(self) -> sa.TextClause:
        return sa.text(self.sql).bindparams(*(sa.bindparam(n, expanding=True) for n in self.expanding))


def _scope_where(scope: Scope, filters: Filters, months: tuple[date, ...], params: dict,
                 history: bool = False) -> tuple[str, list[str]]:
    """The scope and filter conditions, and the months when they are not one run; ``history``: the
    rows reach back before the period (buyers), so the source's facts pick the months themselves."""
    if not isinstance(scope, Scope):
        raise MetricError("metric.no_scope")
    conds, expanding = [], []
    for level, column in _SCOPE_COLUMNS:
        allowed = getattr(scope, level)
        if allowed is not None and not allowed:
            conds.append("FALSE")   # allowed nothing at this level: sees nothing
        elif allowed is not None:
            name = f"scope_{column}"
            params[name] = sorted(allowed)
            expanding.append(name)
            conds.append(f"{column} IN :{name}")
    for column, chosen in filters.items():
        if not chosen:
            conds.append("FALSE")
            continue
        name = f"filter_{column}"
        params[name] = sorted(chosen)
        expanding.append(name)
        conds.append(f"{column} IN :{name}")
    if not is_contiguous(months):
        params["month_list"] = list(months)
        expanding.append("month_list")
        if not history:
            conds.append("month IN :month_list")
    return (" AND ".join(conds) or "TRUE"), expanding


def _with_facts(key: str, *, months: tuple[date, ...], dims: tuple[str, ...], filters: Filters, scope: Scope,
                settings: Settings, rows_table: str | None = None,
                rows_where: str | None = None) -> tuple[str, dict, list[str]]:
    """``WITH … facts AS (…)`` for one source, the scope and filters applied; its parameters.
    ``rows_table``: a roll-up holding the source's rows stage (its history up to the period's end);
    ``rows_where``: a further condition on its rows, which can only narrow them (some customers)."""
    source = SOURCES[key]
    params: dict = {"start": month_end(add_months(months[0], -1)), "end": month_end(months[-1]),
                    "months": list(months)}
    where, expanding = _scope_where(scope, filters, months, params, history=source.rollup == "rows")
    req = Request(settings=settings, dims=dims, params=params)
    rows_sql, facts_sql = source.rows(req), source.facts(req)
    if rows_table is not None:
        rows_sql = f"SELECT * FROM {rows_table} WHERE month < :end"
        params.pop("rows_from", None)
    params.pop("months")
    sql = (f"WITH {ROSTER_PERIODS},\nsrc_rows AS ({rows_sql}),\n"
           f"scoped AS (SELECT * FROM src_rows WHERE {where}{f' AND ({rows_where})' if rows_where else ''}),\n"
           f"facts AS ({facts_sql})\n")
    return sql, params, expanding


def _source_query(key: str, *, months: tuple[date, ...], dims: tuple[str, ...], group: dict[str, str],
                  measures: dict[str, str], filters: Filters, scope: Scope, settings: Settings,
                  rows_table: str | None = None, where: str | None = None, rows_where: str | None = None) -> Query:
    """One grouped SELECT over one source: ``group`` (name → SQL over the facts), ``measures`` (name → Σ SQL);
    ``where``: a condition over the facts (after the scope and filters, which it can only narrow)."""
    with_sql, params, expanding = _with_facts(key, months=months, dims=dims, filters=filters, scope=scope,
                                              settings=settings, rows_table=rows_table, rows_where=rows_where)
    # fact_rows: a total over no rows at all is "no data" (dropped), not a row of zeros
    select = [*(expr if expr == name else f"{expr} AS {name}" for name, expr in group.items()),
              "COUNT(*) AS fact_rows", *(f"{expr} AS {name}" for name, expr in measures.items())]
    group_by = f"\nGROUP BY {', '.join(group.values())}" if group else ""
    sql = f"{with_sql}SELECT {', '.join(select)}\nFROM facts{f' WHERE {where}' if where else ''}{group_by}"
    return Query(key, sql, params, tuple(expanding), tuple(group), measures, rollup=rows_table)


