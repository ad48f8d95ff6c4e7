"""Plotly figures with one palette, status colours that mean the same everywhere, and CJK fonts.
Built fresh on every run from cached DataFrames (figures are never cached)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

from metrics.attribution import OTHERS, TOTAL, signed
from metrics.registry import BY_KEY, Direction, Unit
from texts import fmt
from ui.i18n import dim_label, kpi_label, lang, t, value_label, weekday
from reports.render import shorten
from ui.text import plain

px.defaults.color_discrete_sequence = fmt.PALETTE
FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
# the dashboard's look, one template made once and the default of every figure: naming a template in
# each figure's layout made Plotly validate it anew, 18 ms a chart (a subject page draws four or more)
# (``Template(base, layout=…)`` would replace plotly_white's layout, automargin included, and clip the
# axis labels: the base is copied, then updated)
_template = go.layout.Template(pio.templates["plotly_white"])
_template.layout.update(colorway=fmt.PALETTE, font={"family": FONT, "size": 13},
                        margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend={"orientation": "h", "y": -0.2, "title": None})
pio.templates["csdash"] = _template
pio.templates.default = "csdash"


LABEL_CHARS = 24   # a category on an axis or in a legend; longer names are cut with an ellipsis


def _label(v) -> str:
    """A category from the data (team, store, agent…) as Plotly shows it: literal text, cut short."""
    return plain(shorten(value_label(v), LABEL_CHARS))


def _style(fig: go.Figure, height: int = 320) -> go.Figure:
    """A figure's title as literal text (never Markdown or HTML) and its height; the rest is the template."""
    if fig.layout.title.text:
        fig.update_layout(title={"text": plain(fig.layout.title.text)})
    fig.layout.height = height
    return fig


def _axis_title(unit: Unit) -> str:
    if unit.value in fmt.SUFFIXED:
        return t(f"axis.{unit.value}")
    return {"percent": "%", "yuan": "¥", "count": ""}[unit.value]


def trend(df: pd.DataFrame, kpis: list[str], title: str, colour_by: str | None = None) -> go.Figure:
    """KPIs (same unit) by month; one line per KPI, or per ``colour_by`` value for a single KPI."""
    d = df[df["kpi"].isin(kpis)].copy()
    unit = BY_KEY[kpis[0]].unit
    d["y"] = [fmt.axis_value(v, unit) for v in d["value"]]
    d["x"] = [fmt.month_label(m, lang()) for m in d["month"]]
    d["series"] = [_label(v) for v in d[colour_by]] if colour_by else [kpi_label(k) for k in d["kpi"]]
    d = d.sort_values("month")
    fig = px.line(d, x="x", y="y", color="series", markers=True, title=title,
                  labels={"x": "", "y": _axis_title(unit), "series": ""})
    return _style(fig)


def bars(df: pd.DataFrame, kpi: str, by: str, title: str, colour_by: str | None = None) -> go.Figure:
    d = df[df["kpi"] == kpi].copy()
    unit = BY_KEY[kpi].unit
    d["y"] = [fmt.axis_value(v, unit) for v in d["value"]]
    d["x"] = [fmt.month_label(v, lang()) if by == "month" else _label(v) for v in d[by]]
    d["text"] = [fmt.value(v, unit, lang()) for v in d["value"]]
    kwargs = {}
    if colour_by:
        d["series"] = [fmt.month_label(v, lang()) if colour_by == "month" else _label(v) for v in d[colour_by]]
        kwargs = {"color": "series", "barmode": "group"}
    fig = px.bar(d, x="x", y="y", text="text", title=title,
                 labels={"x": dim_label(by), "y": _axis_title(unit), "series": ""}, **kwargs)
    fig.update_traces(textposition="outside", cliponaxis=False)
    return _style(fig)


def waterfall(steps: pd.DataFrame, kpi: str, before: str, after: str, title: str) -> go.Figure:
    """A KPI's change as a waterfall: its value in the earlier period, one step per group's
    contribution (rate + mix effect; ``metrics.attribution.top``), its value in the later period."""
    unit = BY_KEY[kpi].unit
    groups, total = steps[steps["group"] != TOTAL], steps[steps["group"] == TOTAL].iloc[0]
    names = [t("explain.others") if g == OTHERS else _label(g) for g in groups["group"]]
    x = [before, *names, after]
    y = [fmt.axis_value(total["value_before"], unit), *(fmt.axis_value(c, unit) for c in groups["contribution"]),
         fmt.axis_value(total["value_after"], unit)]
    text = [fmt.value(total["value_before"], unit, lang()),
            *(signed(c, unit, lang()) for c in groups["contribution"]), fmt.value(total["value_after"], unit, lang())]
    good, bad = fmt.STATUS_COLOURS["green"], fmt.STATUS_COLOURS["red"]
    up, down = {Direction.UP: (good, bad), Direction.DOWN: (bad, good)}.get(
        BY_KEY[kpi].direction, (fmt.STATUS_COLOURS["grey"],) * 2)
    fig = go.Figure(go.Waterfall(x=x, y=y, text=text, textposition="outside",
                                 measure=["absolute", *["relative"] * len(names), "total"],
                                 increasing={"marker": {"color": up}}, decreasing={"marker": {"color": down}},
                                 totals={"marker": {"color": fmt.PALETTE[0]}}, cliponaxis=False))
    # the bars start from zero; the axis shows the span the steps walk through, with room for labels
    levels = [v for v in np.cumsum([v or 0.0 for v in y[:-1]])] + [y[-1] or 0.0]
    lo, hi = min(levels), max(levels)
    pad = (hi - lo) * 0.35 or abs(hi) * 0.05 or 1.0
    fig.update_layout(title=title, showlegend=False, yaxis_title=_axis_title(unit))
    fig.update_yaxes(range=[max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad])
    return _style(fig, height=360)


def control_chart(df: pd.DataFrame, kpi: str, title: str) -> go.Figure:
    """One group's months (``metrics.control``): the KPI, its centre line (dashed) and the band between
    its control limits; flagged months marked red, their flag in the hover."""
    unit = BY_KEY[kpi].unit
    d = df.sort_values("month")
    x = [fmt.month_label(m, lang()) for m in d["month"]]
    axis = lambda col: [fmt.axis_value(v, unit) for v in d[col]]  # noqa: E731
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=axis("ucl"), mode="lines", line={"width": 0}, hoverinfo="skip",
                             showlegend=False, connectgaps=False))
    fig.add_trace(go.Scatter(x=x, y=axis("lcl"), mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor="rgba(31, 95, 168, 0.12)", name=t("control.band"), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=axis("centre"), mode="lines", line={"dash": "dash", "color": "#7f7f7f"},
                             name=t("control.centre")))
    fig.add_trace(go.Scatter(x=x, y=axis("value"), mode="lines+markers", line={"color": fmt.PALETTE[0]},
                             name=kpi_label(kpi), text=[fmt.value(v, unit, lang()) for v in d["value"]],
                             hovertemplate="%{x}: %{text}<extra></extra>"))
    flagged = d["flag"].notna().to_numpy()
    if flagged.any():
        fig.add_trace(go.Scatter(
            x=[v for v, f in zip(x, flagged) if f], y=[v for v, f in zip(axis("value"), flagged) if f],
            mode="markers", marker={"color": fmt.STATUS_COLOURS["red"], "size": 12, "symbol": "circle-open",
                                    "line": {"width": 3}},
            name=t("control.flagged"), text=[t(f"control.{f}") for f in d["flag"][flagged]],
            hovertemplate="%{x}: %{text}<extra></extra>"))
    fig.update_layout(title=title, yaxis_title=_axis_title(unit), xaxis_title="")
    return _style(fig)


def staffing_heatmap(grid: pd.DataFrame, title: str) -> go.Figure:
    """Agents needed on the phones per weekday (rows) and half hour (columns): ``weekday, time, agents``."""
    pivot = grid.pivot_table(index="weekday", columns="time", values="agents", aggfunc="sum").reindex(
        index=range(1, 8))
    fig = go.Figure(go.Heatmap(z=pivot.to_numpy(), x=list(pivot.columns), y=[weekday(i) for i in pivot.index],
                               colorscale="Blues", hoverongaps=False, text=pivot.to_numpy(),
                               texttemplate="%{text:.0f}", colorbar={"title": t("staffing.agents_short")}))
    fig.update_layout(title=title, xaxis_title=t("staffing.half_hour"), yaxis_title=t("weekday"))
    fig.update_yaxes(autorange="reversed")
    return _style(fig, height=380)


def staffing_day(plan: pd.DataFrame, title: str) -> go.Figure:
    """One average day: agents needed (bars), staff to schedule after shrinkage (bars) and the agents
    who actually answered (line), per half hour."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=plan["time"], y=plan["agents_needed"], name=t("staffing.col.agents_needed"),
                         marker_color=fmt.PALETTE[0]))
    fig.add_trace(go.Bar(x=plan["time"], y=plan["staff_needed"], name=t("staffing.col.staff_needed"),
                         marker_color=fmt.PALETTE[2]))
    fig.add_trace(go.Scatter(x=plan["time"], y=plan["agents_answering"], name=t("staffing.col.agents_answering"),
                             mode="lines+markers", line={"color": fmt.PALETTE[1]}))
    fig.update_layout(title=title, barmode="group", xaxis_title=t("staffing.half_hour"),
                      yaxis_title=t("staffing.agents_short"))
    return _style(fig, height=360)


def weekly_rates(df: pd.DataFrame, alerts: list[bool], title: str) -> go.Figure:
    """The weekly answer rate, the weeks on which the seat rule fires marked red."""
    x = [fmt.day_label(w, lang()) for w in df["week"]]
    y = [fmt.axis_value(v, "percent") for v in df["answer_rate"]]
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines+markers", name=kpi_label("answer_rate"),
                               line={"color": fmt.PALETTE[0]}))
    if any(alerts):
        fig.add_trace(go.Scatter(x=[v for v, a in zip(x, alerts) if a], y=[v for v, a in zip(y, alerts) if a],
                                 mode="markers", name=t("staffing.seat_alert"),
                                 marker={"color": fmt.STATUS_COLOURS["red"], "size": 13, "symbol": "diamond"}))
    fig.update_layout(title=title, yaxis_title="%", xaxis_title=t("staffing.week"))
    return _style(fig)


def heatmap(df: pd.DataFrame, value: str, title: str, percent: bool = False) -> go.Figure:
    grid = df.pivot_table(index="weekday", columns="hour", values=value, aggfunc="sum")
    grid = grid.reindex(index=range(1, 8))
    z = grid.to_numpy() * (100 if percent else 1)
    fig = go.Figure(go.Heatmap(z=z, x=[f"{h}:00" for h in grid.columns], y=[weekday(i) for i in grid.index],
                               colorscale="Blues" if not percent else "RdYlGn", zmin=None if not percent else 50,
                               zmax=None if not percent else 100, hoverongaps=False,
                               colorbar={"title": "%" if percent else ""}))
    fig.update_layout(title=title, xaxis_title=t("hour"), yaxis_title=t("weekday"))
    fig.update_yaxes(autorange="reversed")
    return _style(fig, 300)


def share_bars(df: pd.DataFrame, x: str, y: str, colour: str, title: str, colours: dict | None = None) -> go.Figure:
    fig = px.bar(df, x=x, y=y, color=colour, title=title, color_discrete_map=colours or {},
                 labels={x: "", y: "", colour: ""})
    return _style(fig)


def histogram_bars(df: pd.DataFrame, x: str, y: str, title: str) -> go.Figure:
    fig = px.bar(df, x=x, y=y, title=title, text=y, labels={x: "", y: ""})
    fig.update_traces(marker_color=fmt.PALETTE[0], textposition="outside", cliponaxis=False)
    return _style(fig)


def score_bars(frame: pd.DataFrame, score: str, label: str, title: str) -> go.Figure:
    """Agents' scores as horizontal bars, best at the top (the appraisal ranking)."""
    d = frame.assign(name=[_label(v) for v in frame["agent_name"].fillna(frame["agent_id"])]).sort_values(score)
    fig = px.bar(d, x=score, y="name", orientation="h", text=[f"{v:.1f}" for v in d[score]],
                 labels={score: label, "name": ""}, title=title)
    fig.update_traces(marker_color=fmt.PALETTE[0])
    return _style(fig, height=max(260, 28 * len(d) + 80))


def uplift_lines(df: pd.DataFrame, title: str) -> go.Figure:
    """A campaign's daily revenue beside its baseline's, day 1 … n of the window (``series``, ``day``, ``value``)."""
    d = df.assign(series=[_label(v) for v in df["series"]], y=[fmt.axis_value(v, "yuan") for v in df["value"]])
    fig = px.line(d, x="day", y="y", color="series", markers=True, title=title,
                  labels={"day": "", "y": _axis_title(Unit.YUAN), "series": ""})
    return _style(fig)


def rfm_grid(grid: pd.DataFrame, title: str) -> go.Figure:
    """Customers per R score (rows, 5 at the top) × F score (columns), with the counts written in."""
    z = grid.to_numpy()
    fig = go.Figure(go.Heatmap(z=z, x=[f"F{c}" for c in grid.columns], y=[f"R{r}" for r in grid.index],
                               colorscale="Blues", text=z, texttemplate="%{text}", hoverongaps=False))
    fig.update_layout(title=title)
    return _style(fig, 320)


def pareto_curve(curve: pd.DataFrame, title: str, x_label: str, y_label: str) -> go.Figure:
    """Cumulative share of revenue against the cumulative share of customers (largest first), with the
    20 % line."""
    fig = go.Figure(go.Scatter(x=curve["customer_share"] * 100, y=curve["revenue_share"] * 100, mode="lines",
                               line={"color": fmt.PALETTE[0]}))
    fig.add_vline(x=20, line_dash="dash", line_color=fmt.PALETTE[1])
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label, showlegend=False)
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    return _style(fig, 320)
