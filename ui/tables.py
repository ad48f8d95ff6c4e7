"""Tables the pages show: KPIs side by side per group, and the team × month matrix coloured by
target status.  Values are formatted for reading; the raw figures stay in the metric layer."""
from __future__ import annotations

import pandas as pd

from metrics.registry import BY_KEY
from texts import fmt
from ui.i18n import dim_label, kpi_label, lang, value_label


def wide(df: pd.DataFrame, by: list[str], kpis: list[str]) -> pd.DataFrame:
    """One row per group, one formatted column per KPI (in the order asked)."""
    if df.empty:
        return pd.DataFrame(columns=[dim_label(d) for d in by] + [kpi_label(k) for k in kpis])
    d = df[df["kpi"].isin(kpis)].copy()
    d["shown"] = [fmt.value(v, BY_KEY[k].unit, lang()) for v, k in zip(d["value"], d["kpi"])]
    for col in by:
        d[col] = [fmt.month_label(v, lang()) if col == "month" else value_label(v) for v in d[col]]
    out = d.pivot_table(index=by, columns="kpi", values="shown", aggfunc="first").reindex(columns=kpis)
    out = out.fillna(fmt.EMPTY).reset_index()
    return out.rename(columns={**{k: kpi_label(k) for k in kpis}, **{b: dim_label(b) for b in by}})


def matrix(df: pd.DataFrame, row_dim: str, kpi: str):
    """Rows × months of one KPI, each cell's background its target status (a pandas Styler)."""
    d = df[df["kpi"] == kpi].copy()
    unit = BY_KEY[kpi].unit
    d["row"] = [value_label(v) for v in d[row_dim]]
    d["col"] = [fmt.month_label(m, lang()) for m in d["month"]]
    order = [fmt.month_label(m, lang()) for m in sorted(d["month"].unique())]
    shown = d.pivot(index="row", columns="col", values="value").reindex(columns=order)
    status = d.pivot(index="row", columns="col", values="status").reindex(index=shown.index, columns=order)
    text = shown.map(lambda v: fmt.value(v, unit, lang()))
    tint = {"green": "#c8e6c9", "amber": "#ffecb3", "red": "#ffcdd2", "grey": "#eeeeee"}
    styles = status.map(lambda s: f"background-color: {tint.get(s, '#ffffff')}" if isinstance(s, str) else "")
    text.index.name = dim_label(row_dim)
    return text.style.apply(lambda _: styles, axis=None)
