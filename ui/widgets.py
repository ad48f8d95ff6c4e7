"""Streamlit building blocks the pages share: KPI cards, the metric passport, status chips, the
empty state, safe downloads."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from metrics import attribution, control, worklists
from metrics.catalog import previous_months
from metrics.errors import MetricError
from metrics.months import add_months
from metrics.registry import BY_KEY, Direction
from texts import fmt
from ui import charts, data
from ui.access import may, record
from ui.filters import current, show_warnings
from ui.i18n import bound, dim_label, kpi_label, lang, say, t, value_label
from ui.text import md
from warehouse.safety import csv_bytes, xlsx_bytes


def status_chip(status: str) -> str:
    return f"{fmt.STATUS_ICONS.get(status, '⚪')} {t('status.' + status)}"


def passport(row: dict, why: str | None = None) -> str:
    """Formula, numerator, denominator, n and the settings behind one figure (Markdown); ``why``: the
    change attribution's sentence (its names come from data: escaped)."""
    m = BY_KEY[row["kpi"]]
    lines = [f"**{kpi_label(m.key)}** `{m.key}`", "", m.about(lang()), "",
             "- " + t("kv", key=t("formula"), value=m.formula),
             "- " + t("kv", key=t("numerator"), value=fmt.value(row.get("numerator"), "count" if m.is_ratio else m.unit,
                                                                lang()))]
    if m.is_ratio:
        n = fmt.value(row.get("denominator"), "count", lang())
        lines.append("- " + t("kv", key=t("denominator") + " (n)", value=n))
    view = current()   # the settings behind the figure, said in the viewer's language
    basis = view.settings.describe(m.settings, lang()) if view is not None and m.settings else row.get("basis")
    if basis:
        lines.append("- " + t("kv", key=t("settings_used"), value=basis))
    if row.get("pending"):
        lines.append(f"- {t('pending')}")
    if why:
        lines.append("- " + t("kv", key=t("explain.why"), value=md(why)))
    return "\n".join(lines)


def kpi_card(container, row: dict, spark: list[float] | None = None, why: str | None = None) -> None:
    """Value, MoM delta coloured by direction, 12-month sparkline, target status, YoY and n."""
    m = BY_KEY[row["kpi"]]
    colour = {Direction.UP: "normal", Direction.DOWN: "inverse"}.get(m.direction, "off")
    mom = fmt.delta(row.get("mom_delta"), m.unit)
    container.metric(kpi_label(m.key), fmt.value(row.get("value"), m.unit, lang()),
                     delta=mom, delta_color=colour, border=True, help=passport(row, why),
                     chart_data=[v for v in (spark or []) if not fmt.is_empty(v)] or None, chart_type="line",
                     delta_description=t("mom") if mom else None)
    bits = []
    if not fmt.is_empty(row.get("target")):
        bits.append(f"{t('target')} {fmt.value(row['target'], m.unit, lang())} · {status_chip(row['status'])}")
    yoy = fmt.delta(row.get("yoy_delta"), m.unit)
    if yoy:
        bits.append(f"{t('yoy')} {yoy}")
    if row.get("mom_flag") == "incomplete" or row.get("yoy_flag") == "incomplete":
        bits.append(f":orange[{t('incomplete')}]")
    if m.is_ratio:
        bits.append(f"n={fmt.value(row.get('denominator'), 'count', lang())}")
    if row.get("pending"):
        bits.append(f":orange[{t('pending')}]")
    container.caption(" · ".join(bits))


def empty_state() -> None:
    st.info(t("empty"), icon=":material/inbox:")
    if may("load"):   # the import page is in the admins' navigation only
        st.page_link("pages/imports.py", label=t("go_import"), icon=":material/upload_file:")


def downloads(df: pd.DataFrame, name: str, key: str, prepare=None) -> None:
    """CSV (UTF-8 with BOM, so Excel opens Chinese correctly) and Excel, both formula-injection safe;
    each download is audited (what, the viewer's scope, how many rows).

    The files are made when the button is pressed (Streamlit's deferred ``data``), not on every rerun:
    an Excel of 20,000 rejected rows takes seconds to write.  ``prepare`` (e.g. masking phone numbers
    in every row) runs then too, on the same frame the page was given."""
    sheet = t("sheet.data")

    def frame() -> pd.DataFrame:
        return prepare(df) if prepare else df

    c1, c2 = st.columns(2)
    c1.download_button(t("download_csv"), lambda: csv_bytes(frame()), f"{name}.csv", "text/csv", key=f"{key}.csv",
                       on_click=record, args=("download", f"{name}.csv"), kwargs={"rows": len(df)})
    c2.download_button(t("download_xlsx"), lambda: xlsx_bytes({sheet: frame()}), f"{name}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}.xlsx",
                       on_click=record, args=("download", f"{name}.xlsx"), kwargs={"rows": len(df)})


def page_title(title_key: str) -> None:
    """The page's title, then any warning about the link's parameters (shown once, on a real page)."""
    st.title(t(title_key))
    show_warnings()


def page_view(title_key: str):
    """Title the page and return the sidebar's View; an empty warehouse shows the pointer and stops."""
    page_title(title_key)
    view = current()
    if view is None:
        empty_state()
        st.stop()
    return view


def detail_link(kpi: str, part: str = "denominator") -> None:
    st.page_link("pages/detail.py", label=f"{t('view_detail')} · {kpi_label(kpi)}", icon=":material/table_rows:",
                 query_params={"kpi": kpi, "part": part})


def monthly_or_stop(view, kpis) -> pd.DataFrame:
    """The KPIs by month over the view's range; a range without data says so and stops the page."""
    df = data.figures(view.url, view.version, view.scope, view.filters, view.settings, tuple(kpis), view.months,
                      ("month",))
    if df.empty:
        span = fmt.month_label(view.months[0], lang())
        if len(view.months) > 1:
            span += "–" + fmt.month_label(view.months[-1], lang())
        st.info(t("no_data_month", month=span))
        st.stop()
    return df


EXPLAIN_BY_FIRST = ("region", "team", "store")
CONTROL_LEVELS = ("team", "region", "store")     # the groups a control chart can be drawn for   # the split a page opens with, the first its KPI allows


def attribution_section(view, kpis, key: str) -> None:
    """变化归因 on a subject page: the chosen ratio KPI's change from a chosen earlier month (default:
    the month before) to the view's month, split per region, team, store… into rate and mix effects
    (``metrics.attribution``) — a waterfall of the groups' contributions and the table behind it."""
    choices = [k for k in kpis if attribution.splittable(k)]
    loaded = [m for m in data.months(view.url, view.version) if m < view.month]
    if not choices or not loaded:
        return
    st.subheader(t("explain.title"))
    c1, c2, c3 = st.columns(3)
    kpi = c1.selectbox(t("kpi"), choices, format_func=kpi_label, key=f"{key}.explain_kpi")
    dims = attribution.split_dims(kpi)
    first = next((d for d in EXPLAIN_BY_FIRST if d in dims), dims[0])
    by = c2.selectbox(t("explain.by"), dims, index=dims.index(first), format_func=dim_label, key=f"{key}.explain_by")
    earlier = sorted(loaded, reverse=True)
    default = add_months(view.month, -1)
    against = c3.selectbox(t("explain.against"), earlier, index=earlier.index(default) if default in earlier else 0,
                           format_func=lambda m: fmt.month_label(m, lang()), key=f"{key}.explain_against")
    try:
        frame = data.explanation(view.url, view.version, view.scope, view.filters, view.settings, kpi, view.month,
                                 against, by)
    except MetricError as exc:
        st.info(md(say(exc)))
        return
    before, after = fmt.month_label(against, lang()), fmt.month_label(view.month, lang())
    title = t("explain.chart", kpi=kpi_label(kpi), before=before, after=after, by=dim_label(by))
    st.plotly_chart(charts.waterfall(attribution.top(frame), kpi, before, after, title), theme=None,
                    key=f"{key}.explain_chart")
    total = frame[frame["group"] == attribution.TOTAL].iloc[0]
    unit = BY_KEY[kpi].unit
    st.caption(t("explain.caption", change=attribution.signed(total["contribution"], unit, lang()),
                 rate=attribution.signed(total["rate_effect"], unit, lang()),
                 mix=attribution.signed(total["mix_effect"], unit, lang())))
    shown = pd.DataFrame({
        dim_label(by): [t("explain.total") if g == attribution.TOTAL else value_label(g) for g in frame["group"]],
        before: [fmt.value(v, unit, lang()) for v in frame["value_before"]],
        after: [fmt.value(v, unit, lang()) for v in frame["value_after"]],
        f"n · {before}": [fmt.value(v, "count", lang()) for v in frame["n_before"]],
        f"n · {after}": [fmt.value(v, "count", lang()) for v in frame["n_after"]],
        t("explain.rate_effect"): [attribution.signed(v, unit, lang()) for v in frame["rate_effect"]],
        t("explain.mix_effect"): [attribution.signed(v, unit, lang()) for v in frame["mix_effect"]],
        t("explain.contribution"): [attribution.signed(v, unit, lang()) for v in frame["contribution"]],
    })
    st.dataframe(shown, hide_index=True, width="stretch", key=f"{key}.explain_table")


def _flag_word(flag) -> str:
    return t(f"control.{flag}") if isinstance(flag, str) else ""


def control_section(view, kpis, key: str) -> None:
    """控制图 on a subject page: the chosen rate or count over the 12 months up to the view's month
    with its control limits (``metrics.control``) for the whole scope or one team, region or store,
    the flagged months marked; at a team/region/store level, this month's flagged groups listed."""
    choices = [k for k in kpis if control.chart_of(k)]
    if not choices:
        return
    st.subheader(t("control.title"))
    c1, c2, c3 = st.columns(3)
    kpi = c1.selectbox(t("kpi"), choices, format_func=kpi_label, key=f"{key}.control_kpi")
    levels = ["", *(d for d in CONTROL_LEVELS if d in attribution.split_dims(kpi))]
    level = c2.selectbox(t("control.level"), levels, key=f"{key}.control_level",
                         format_func=lambda d: t("control.whole") if not d else dim_label(d))
    months = tuple(previous_months(view.month, 12))
    frame = data.control_chart(view.url, view.version, view.scope, view.filters, view.settings, kpi, months,
                               (level,) if level else ())
    if frame.empty:
        st.info(t("control.none"))
        return
    label = fmt.month_label(view.month, lang())
    if level:
        now = frame[frame["month"] == view.month]
        flagged = now[now["flag"].notna()]
        groups = list(dict.fromkeys([*flagged[level], *sorted(frame[level].dropna().unique())]))
        group = c3.selectbox(dim_label(level), groups, format_func=bound(value_label), key=f"{key}.control_group")
        shown = frame[frame[level] == group]
        name = f"{kpi_label(kpi)} · {value_label(group)}"
    else:
        flagged, shown, name = frame.iloc[0:0], frame, kpi_label(kpi)
    st.plotly_chart(charts.control_chart(shown, kpi, t("control.chart", name=name)), theme=None,
                    key=f"{key}.control_chart")
    st.caption(t("control.caption", min_n=fmt.value(view.settings.control_min_n, "count", lang())))
    if level:
        unit = BY_KEY[kpi].unit
        if flagged.empty:
            st.caption(t("control.no_flags", month=label, level=dim_label(level)))
        else:
            st.markdown(f"**{md(t('control.flagged_groups', month=label, level=dim_label(level)))}**")
            st.dataframe(pd.DataFrame({
                dim_label(level): [value_label(g) for g in flagged[level]],
                kpi_label(kpi): [fmt.value(v, unit, lang()) for v in flagged["value"]],
                t("control.centre"): [fmt.value(v, unit, lang()) for v in flagged["centre"]],
                t("control.limits"): [f"{fmt.value(lo, unit, lang())} – {fmt.value(hi, unit, lang())}"
                                      for lo, hi in zip(flagged["lcl"], flagged["ucl"])],
                "n": [fmt.value(v, "count", lang()) for v in flagged["n"]],
                t("control.flag"): [_flag_word(f) for f in flagged["flag"]],
            }), hide_index=True, width="stretch", key=f"{key}.control_table")


def narrowed_flags(found: pd.DataFrame, filters) -> pd.DataFrame:
    """The scope's flags narrowed to the sidebar's choices: a region or a store when chosen (a store
    also by its region), a team when chosen or when no region or store is; the whole scope's row
    only without any of the three."""
    region, store, team = filters.region, filters.store, filters.team
    keep = []
    for lv, g, r in zip(found["level"], found["group"], found["region"]):
        if lv == "":
            keep.append(region is None and store is None and team is None)
        elif lv == "region":
            keep.append(store is None and team is None and (region is None or g in region))
        elif lv == "store":
            keep.append(team is None and (g in store if store is not None else region is None or r in region))
        else:
            keep.append(g in team if team is not None else region is None and store is None)
    return found[keep] if len(found) else found


def control_flags_list(view, kpis) -> None:
    """The overview's list of this month's flags (whole scope, teams, regions, stores)."""
    found = narrowed_flags(data.control_flags(view.url, view.version, view.scope, view.settings, tuple(kpis),
                                              view.month), view.filters)
    label = fmt.month_label(view.month, lang())
    st.subheader(t("control.overview", month=label))
    if any(v is not None for v in (view.filters.division, view.filters.channel, view.filters.agent)):
        st.caption(t("control.overview_scope"))
    if found.empty:
        st.caption(t("control.overview_none", month=label,
                     min_n=fmt.value(view.settings.control_min_n, "count", lang())))
        return
    units = [BY_KEY[k].unit for k in found["kpi"]]
    st.dataframe(pd.DataFrame({
        t("control.level"): [dim_label(lv) if lv else t("control.whole") for lv in found["level"]],
        t("control.group"): [value_label(g) if lv else "" for lv, g in zip(found["level"], found["group"])],
        t("kpi"): [kpi_label(k) for k in found["kpi"]],
        t("control.value"): [fmt.value(v, u, lang()) for v, u in zip(found["value"], units)],
        t("control.centre"): [fmt.value(v, u, lang()) for v, u in zip(found["centre"], units)],
        t("control.limits"): [f"{fmt.value(lo, u, lang())} – {fmt.value(hi, u, lang())}"
                              for lo, hi, u in zip(found["lcl"], found["ucl"], units)],
        "n": [fmt.value(v, "count", lang()) for v in found["n"]],
        t("control.flag"): [_flag_word(f) for f in found["flag"]],
    }), hide_index=True, width="stretch", key="overview.control_flags")
    st.caption(t("control.caption", min_n=fmt.value(view.settings.control_min_n, "count", lang())))


def worklists_section(view) -> None:
    """回访任务 on 回访满意度: key customers and installations to call back (metrics.worklists), each with
    its on-time coverage against the 100 % rule, overdue rows first and a download; then the courtesy
    check of callbacks placed in the customers' rest hours."""
    st.subheader(t("worklist.title"))
    # made on demand, as the customer lists: at 10 M rows the two lists and the courtesy check cost
    # 0.8 s on every new filter, most of the page's time; once on, the switch stays on for the session
    if not st.toggle(t("worklist.show"), key="worklist.show", help=t("worklist.show_help")):
        return
    today = date.today()
    args = (view.url, view.version, view.scope, view.filters, view.settings)
    tabs = st.tabs([t("worklist.key_customers", days=view.settings.key_customer_days), t("worklist.installations")])
    for tab, key in zip(tabs, ("key_customers", "installations")):
        with tab:
            if key == "key_customers" and not data.has_rows(view.url, view.version, "key_customers"):
                st.info(t("worklist.no_key_customers"))
                continue
            frame = data.worklist(key, *args, (view.month,), today)
            if key == "installations" and len(frame):
                days = sorted(set(frame["resolved_day"]))
                yesterday = today - timedelta(days=1)
                pick = st.selectbox(t("worklist.day"), days, index=days.index(yesterday) if yesterday in days
                                    else len(days) - 1, key="worklist.day", format_func=str)
                if st.toggle(t("worklist.only_day"), value=True, key="worklist.only_day"):
                    frame = frame[frame["resolved_day"] == pick]
            if frame.empty:
                st.caption(t("worklist.none"))
                continue
            done, of = worklists.coverage(frame)
            st.caption(t("worklist.coverage", done=done, of=of, rate=fmt.value(done / of if of else None, "percent", lang()),
                         due=int((frame["status"] == "due").sum()), overdue=int((frame["status"] == "overdue").sum())))
            table = pd.DataFrame({
                t("worklist.col.ticket_id"): frame["ticket_id"], t("worklist.col.customer_id"): frame["customer_id"],
                t("worklist.col.customer_phone"): frame["customer_phone"],
                **{dim_label(c): frame[c] for c in ("region", "store", "team", "agent", "category")},
                t("worklist.col.resolved_at"): [str(v)[:16] for v in frame["resolved_at"]],
                t("worklist.col.due_day"): [str(v) for v in frame["due_day"]],
                t("worklist.col.first_callback"): ["" if v is None else str(v) for v in frame["first_callback_day"]],
                t("worklist.col.status"): [t(f"worklist.status.{s}") for s in frame["status"]],
            })
            st.dataframe(table, hide_index=True, width="stretch", placeholder="—", key=f"worklist.{key}")
            downloads(table, f"worklist_{key}", f"worklist.{key}.download")
    st.subheader(t("courtesy.title"))
    rows, total = data.courtesy(*args, (view.month,))
    st.caption(t("courtesy.summary", n=len(rows), total=total, hours=view.settings.rest_hours,
                 rate=fmt.value(len(rows) / total if total else None, "percent", lang())))
    if len(rows):
        st.dataframe(rows.drop(columns=["shown_of"]), hide_index=True, width="stretch", key="courtesy.table")
