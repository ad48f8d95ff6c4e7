"""Cached access to the warehouse for the pages.

Every cached function takes the warehouse URL, the data-version token (the newest load id) and the
viewer's scope, plus everything else that changes its result (filters, months, settings), so a new
load shows on the next rerun and no viewer is ever served another viewer's rows.  Figures are
cached as DataFrames, never as Plotly figures.
"""
from __future__ import annotations

from datetime import date, datetime
import os

import pandas as pd
import streamlit as st

from loaders import quality as quality_checks, status
from loaders.readers import sweep_stale_scratch
from metrics import (Filters, Scope, Settings, attribution, breakdowns, catalog, compute, control, load_settings,
                     complaints, customers, rollups, staffing, stores, worklists)
from metrics.months import month_key
from metrics.compare import attach_comparisons, comparison_months, complete_months
from metrics.query import detail
from metrics.targets import attach, load_targets, store_targets
from warehouse import DEFAULT_DB, Warehouse, open_warehouse
from warehouse.db import actor
from ui.i18n import t


def db_setting() -> str:
    return os.environ.get("CSDASH_DB", DEFAULT_DB)


@st.cache_resource
def _warehouse(db: str) -> Warehouse:
    """Opened once per app process; that is also when scratch left by a killed load is swept."""
    sweep_stale_scratch()
    return open_warehouse(db)


def warehouse() -> Warehouse:
    return _warehouse(db_setting())


def _viewer():
    """The viewer ``ui.access.gate`` found for this session (None outside the app: tools and tests)."""
    return st.session_state.get("ui.viewer")


def viewer_scope() -> Scope:
    """The viewer's scope, the one place every query, download and document takes it from: a signed-in
    viewer's regions, stores and teams (an admin: everything).  In local mode (no sign-in) a deployment
    may narrow the whole app with CSDASH_SCOPE_REGIONS / CSDASH_SCOPE_STORES / CSDASH_SCOPE_TEAMS
    (comma-separated)."""
    viewer = _viewer()
    if viewer is not None and viewer.email != "local":
        return Scope.of(**viewer.limits)

    def env(name):
        raw = os.environ.get(name)
        return None if raw is None else [v.strip() for v in raw.split(",") if v.strip()]
    return Scope.of(env("CSDASH_SCOPE_REGIONS"), env("CSDASH_SCOPE_STORES"), env("CSDASH_SCOPE_TEAMS"))


def viewer_name() -> str:
    """Who is acting, for the load log and the publish, edit and refresh logs: the signed-in viewer's
    e-mail, else (local mode) CSDASH_USER or the OS user."""
    viewer = _viewer()
    return viewer.email if viewer is not None and viewer.email != "local" else actor()


def version() -> int:
    return warehouse().data_version()


def settings() -> Settings:
    return load_settings(warehouse())


@st.cache_data(ttl=600)
def table_counts(url: str, version: int, lang: str = "zh") -> pd.DataFrame:  # noqa: ARG001 - version keys the cache
    return status.table_counts(warehouse(), lang)


@st.cache_data(ttl=600)
def load_log(url: str, version: int) -> pd.DataFrame:  # noqa: ARG001
    return status.load_log(warehouse())


@st.cache_data(ttl=600)
def months(url: str, version: int) -> list[date]:  # noqa: ARG001
    return catalog.loaded_months(warehouse())


@st.cache_data(ttl=600)
def default_month(url: str, version: int) -> date | None:  # noqa: ARG001
    return catalog.default_month(warehouse())


@st.cache_data(ttl=600)
def filter_values(url: str, version: int, scope: Scope, months: tuple[date, ...]) -> pd.DataFrame:  # noqa: ARG001
    return breakdowns.filter_values(warehouse(), months=months, scope=scope)


@st.cache_data(ttl=600, max_entries=512)
def _figures(url: str, version: int, scope: Scope, filters: Filters, settings: Settings, kpis: tuple[str, ...],
             months: tuple[date, ...], dims: tuple[str, ...]) -> pd.DataFrame:  # noqa: ARG001
    return compute(warehouse(), list(kpis), months=months, dims=dims, filters=filters, scope=scope, settings=settings)


# Targets are attached after the cache, on every run: a target saved on the settings page shows at
# once (the cached figures do not depend on targets, which change without a new data version).
def figures(url: str, version: int, scope: Scope, filters: Filters, settings: Settings, kpis: tuple[str, ...],
            months: tuple[date, ...], dims: tuple[str, ...]) -> pd.DataFrame:
    df = _figures(url, version, scope, filters, settings, kpis, months, dims)
    return attach(df, load_targets(warehouse()), as_of=months[-1])


@st.cache_data(ttl=600, max_entries=512)
def attributions(url: str, version: int, scope: Scope, filters: Filters, settings: Settings, kpis: tuple[str, ...],
                 month: date, lang: str) -> dict[str, str]:  # noqa: ARG001
    """kpi → the sentence saying which region (and which of its stores) moved it since the month
    before (``metrics.attribution``), for the cards' detail; two queries for all the KPIs."""
    wh = warehouse()
    regions = attribution.explain_all(wh, kpis, month=month, by=("region",), scope=scope, filters=filters,
                                      settings=settings)
    stores = attribution.explain_all(wh, list(regions), month=month, by=("region", "store"), scope=scope,
                                     filters=filters, settings=settings)
    said = {k: attribution.sentence(k, frame, stores.get(k), lang) for k, frame in regions.items()}
    return {k: v for k, v in said.items() if v}


@st.cache_data(ttl=600, max_entries=512)
def explanation(url: str, version: int, scope: Scope, filters: Filters, settings: Settings, kpi: str, month: date,
                against: date, by: str) -> pd.DataFrame:  # noqa: ARG001
    """One KPI's change from ``against`` to ``month`` split per group of ``by`` (the subject pages'
    waterfall; ``metrics.attribution.explain``), for the viewer's scope."""
    return attribution.explain(warehouse(), kpi, month=month, against=against, by=by, scope=scope, filters=filters,
                               settings=settings)


@st.cache_data(ttl=600, max_entries=512)
def control_chart(url: str, version: int, scope: Scope, filters: Filters, settings: Settings, kpi: str,
                  months: tuple[date, ...], dims: tuple[str, ...]) -> pd.DataFrame:  # noqa: ARG001
    """One KPI's months with their control limits and flags, per group of ``dims`` (metrics.control)."""
    return control.control(warehouse(), [kpi], months=months, dims=dims, scope=scope, filters=filters,
                           settings=settings)


@st.cache_data(ttl=600, max_entries=512)
def control_flags(url: str, version: int, scope: Scope, settings: Settings, kpis: tuple[str, ...],
                  month: date) -> pd.DataFrame:  # noqa: ARG001
    """This month's flagged points for the viewer's whole scope and per team, region and store (the
    overview): computed once per scope, not per filter (0.8 s at 10 M rows), and narrowed to the
    sidebar's regions, stores and teams on the page (``ui.widgets.control_flags_list``)."""
    return control.flags(warehouse(), kpis, month=month, scope=scope, settings=settings)


@st.cache_data(ttl=600, max_entries=256)
def staffing_load(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
                  month: date) -> pd.DataFrame:  # noqa: ARG001
    """The month's calls per weekday and half hour (metrics.staffing.interval_load): the what-if
    inputs of 人力排班 re-plan from it without another query."""
    return staffing.interval_load(warehouse(), month, filters=filters, scope=scope, settings=settings)


@st.cache_data(ttl=600, max_entries=128)
def complaint_register(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
                       months: tuple[date, ...], minute: datetime) -> pd.DataFrame:  # noqa: ARG001
    """The complaint register of the months in scope with its loop columns (metrics.complaints);
    ``minute`` (now, to the minute) is part of the key: whether a stage is overdue moves with the clock."""
    return complaints.register(warehouse(), months=months, scope=scope, filters=filters, settings=settings,
                               now=minute)


@st.cache_data(ttl=600, max_entries=128)
def worklist(key: str, url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
             months: tuple[date, ...], today: date) -> pd.DataFrame:  # noqa: ARG001
    """A callback worklist of the months (metrics.worklists.due), statuses as of ``today``."""
    return worklists.due(warehouse(), key, months=months, scope=scope, filters=filters, settings=settings, today=today)


@st.cache_data(ttl=600, max_entries=128)
def courtesy(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
             months: tuple[date, ...]) -> tuple[pd.DataFrame, int]:  # noqa: ARG001
    return worklists.courtesy(warehouse(), months=months, scope=scope, filters=filters, settings=settings)


@st.cache_data(ttl=600, max_entries=16)
def quality(url: str, version: int, by: str) -> pd.DataFrame:  # noqa: ARG001
    """The data-quality checks' counts per month or per load (loaders.quality; the import page: admins)."""
    return quality_checks.summary(warehouse(), by)


@st.cache_data(ttl=600)
def has_rows(url: str, version: int, table: str) -> bool:  # noqa: ARG001
    """Whether a data table holds any row (e.g. a key-customer list was loaded)."""
    return status.has_rows(warehouse(), table)


@st.cache_data(ttl=600, max_entries=256)
def weekly_answer_rates(url: str, version: int, scope: Scope, filters: Filters, settings: Settings, month: date,
                        weeks: int) -> pd.DataFrame:  # noqa: ARG001
    return staffing.weekly_answer_rates(warehouse(), until=month, weeks=weeks, filters=filters, scope=scope,
                                        settings=settings)


@st.cache_data(ttl=600)
def _complete(url: str, version: int, months: tuple[date, ...]) -> dict:  # noqa: ARG001
    # whether a month is fully loaded is a fact about the exports, the same for every viewer
    return complete_months(warehouse(), months)


def figures_with_comparisons(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
                             kpis: tuple[str, ...], month: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the month's figures with MoM/YoY and targets, the 13 months m−12 … m by month) from ONE cached
    computation: the overview needs both, and asking the warehouse twice doubled its wait."""
    months = tuple(comparison_months([month]))
    span = tuple(catalog.previous_months(month, 13))
    history = _figures(url, version, scope, filters, settings, kpis, span, ("month",))
    now = attach_comparisons(history, [month], _complete(url, version, months))
    return attach(now, load_targets(warehouse())), history


@st.cache_data(ttl=600, max_entries=128)
def breakdown(name: str, url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
              months: tuple[date, ...]) -> pd.DataFrame:  # noqa: ARG001
    fn = {"hour_weekday": breakdowns.hour_weekday, "grade_mix": breakdowns.grade_mix,
          "resolution_buckets": breakdowns.resolution_buckets}[name]
    return fn(warehouse(), months=months, filters=filters, scope=scope, settings=settings)


@st.cache_data(ttl=600, max_entries=64)
def rows_behind(url: str, version: int, scope: Scope, filters: Filters, settings: Settings, kpi: str,
                months: tuple[date, ...], part: str) -> pd.DataFrame:  # noqa: ARG001
    return detail(warehouse(), kpi, months=months, filters=filters, scope=scope, part=part, settings=settings)


def rollup_status(wh: Warehouse) -> pd.DataFrame:
    """The roll-ups, current or stale and why, for the settings page (in the viewer's language)."""
    rows = rollups.status(wh)
    return pd.DataFrame({
        t("rollups.col.name"): [r["rollup"] for r in rows],
        t("rollups.col.grain"): [r["grain"] for r in rows],
        t("rollups.col.state"): [t(f"rollups.state.{r['state']}") for r in rows],
        t("rollups.col.why"): [t(f"rollups.why.{r['why']}") if r["why"] else "" for r in rows],
        t("rollups.col.months"): [f"{month_key(r['first_month'])} – {month_key(r['last_month'])}" if r["first_month"]
                                  else "" for r in rows],
        t("rollups.col.rows"): [r["rows"] for r in rows],
    })


def rebuild_rollups(wh: Warehouse, *, only_stale: bool) -> list[str]:
    """Rebuild the roll-ups with a progress bar; figures come from the facts until it is done."""
    bar = st.progress(0.0, text=t("rollups.progress", name="", pct="0%"))

    def progress(fraction: float, name: str) -> None:
        bar.progress(min(1.0, fraction), text=t("rollups.progress", name=name, pct=f"{fraction:.0%}"))

    built = rollups.build(wh, progress=progress, only_stale=only_stale)
    bar.empty()
    return built


# ------------------------------------------------------------------ store operations (metrics.stores)
@st.cache_data(ttl=600, max_entries=128)
def store_master(url: str, version: int, scope: Scope, filters: Filters) -> pd.DataFrame:  # noqa: ARG001
    return stores.master(warehouse(), scope=scope, filters=filters)


@st.cache_data(ttl=600, max_entries=128)
def store_scorecard(url: str, version: int, scope: Scope, settings: Settings, store: str,
                    months: tuple[date, ...]) -> pd.DataFrame:  # noqa: ARG001
    return stores.scorecard(warehouse(), store, months=months, scope=scope, settings=settings)


@st.cache_data(ttl=600, max_entries=128)
def store_league(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
                 months: tuple[date, ...]) -> pd.DataFrame:  # noqa: ARG001
    return stores.league(warehouse(), months=months, scope=scope, filters=filters, settings=settings)


@st.cache_data(ttl=600, max_entries=128)
def store_peers(url: str, version: int, scope: Scope, settings: Settings, store: str,
                months: tuple[date, ...]) -> pd.DataFrame:  # noqa: ARG001
    return stores.peers(warehouse(), store, months=months, scope=scope, settings=settings)


@st.cache_data(ttl=600, max_entries=128)
def audit_ranks(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
                months: tuple[date, ...]) -> pd.DataFrame:  # noqa: ARG001
    return stores.audit_ranks(warehouse(), months=months, scope=scope, filters=filters, settings=settings)


@st.cache_data(ttl=600, max_entries=64)
def campaigns(url: str, version: int, scope: Scope) -> pd.DataFrame:  # noqa: ARG001
    return stores.campaigns(warehouse(), scope=scope)


@st.cache_data(ttl=600, max_entries=128)
def uplift(url: str, version: int, scope: Scope, filters: Filters, settings: Settings, starts: date,
           ends: date) -> dict:  # noqa: ARG001
    return stores.uplift(warehouse(), starts=starts, ends=ends, scope=scope, filters=filters, settings=settings)


@st.cache_data(ttl=600, max_entries=64)
def store_target_problems(url: str, version: int, scope: Scope) -> list:  # noqa: ARG001
    """The store targets that could not be used, for the stores the viewer may see."""
    wh = warehouse()
    visible = set(stores.master(wh, scope=scope)["store"]) if not scope.is_all else None
    return [p for p in store_targets(wh)[1] if visible is None or p.params.get("store") in visible]


# ------------------------------------------------------------------ customers (metrics.customers)
@st.cache_data(ttl=600, max_entries=64)
def customer_rfm(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
                 months: tuple[date, ...]) -> pd.DataFrame:  # noqa: ARG001
    """Customers and revenue per RFM score (not per customer)."""
    return customers.rfm_cells(warehouse(), months=months, scope=scope, filters=filters, settings=settings)


@st.cache_data(ttl=600, max_entries=64)
def customer_tiers(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
                   months: tuple[date, ...]) -> pd.DataFrame:  # noqa: ARG001
    return customers.tiers(warehouse(), months=months, scope=scope, filters=filters, settings=settings)


@st.cache_data(ttl=600, max_entries=64)
def customer_pareto(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
                    months: tuple[date, ...]) -> "customers.Pareto":  # noqa: ARG001
    return customers.pareto(warehouse(), months=months, scope=scope, filters=filters, settings=settings)


@st.cache_data(ttl=600, max_entries=64)
def customer_migration(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
                       month: date) -> pd.DataFrame:  # noqa: ARG001
    return customers.migration(warehouse(), month=month, scope=scope, filters=filters, settings=settings)


@st.cache_data(ttl=600, max_entries=64)
def customer_lists(url: str, version: int, scope: Scope, filters: Filters, settings: Settings,
                   month: date) -> "customers.Lists":  # noqa: ARG001
    return customers.lists(warehouse(), month=month, scope=scope, filters=filters, settings=settings)


def customer_list_phones(frame: pd.DataFrame, scope: Scope, settings: Settings, month: date) -> pd.DataFrame:
    """A customer list with masked phones: made when its download is pressed, not on every rerun."""
    return customers.list_phones(warehouse(), frame, month=month, scope=scope, settings=settings)


@st.cache_data(ttl=600, max_entries=64)
def campaign_response(url: str, version: int, scope: Scope, filters: Filters, settings: Settings, starts: date,
                      ends: date) -> dict:  # noqa: ARG001
    return customers.campaign_response(warehouse(), starts=starts, ends=ends, scope=scope, filters=filters,
                                       settings=settings)
