"""Each subject's KPIs, declared once: what its page shows, what the review pack tabulates, which of
them are overview cards, and which the pack's PDF draws as the 6-month trend chart (one unit).

The pages, the overview, the pack (its tables, the PDF and the Excel file) and the benchmarks read
these rows; a subject's title is the catalog text ``section.<key>`` (overview) / ``pack.<key>`` (pack)."""
from __future__ import annotations

from dataclasses import dataclass

from metrics.registry import BY_KEY


@dataclass(frozen=True)
class Subject:
    key: str
    page: tuple[str, ...]                 # the subject page's KPIs, in its order
    pack: tuple[str, ...]                 # the review pack's trend and breakdown tables
    pack_by: tuple[str, ...]              # the pack's breakdowns (dimensions), after the 6-month trend
    overview: tuple[str, ...] = ()        # the overview's cards for this subject
    chart: tuple[str, ...] = ()           # the pack's trend chart (same unit)
    in_pack: bool = True                  # a section of the monthly review pack
    needs: tuple[str, ...] = ()           # export kinds one of which must hold rows for the pack to have it


SUBJECTS: dict[str, Subject] = {s.key: s for s in (
    Subject("calls",
            page=("answer_within_3_rings_rate", "answer_rate", "abandon_rate", "asa_seconds", "aht_seconds",
                  "offered_calls"),
            pack=("offered_calls", "answer_rate", "answer_within_3_rings_rate", "abandon_rate", "asa_seconds",
                  "aht_seconds", "long_hold_rate"),
            pack_by=("team",),
            overview=("answer_within_3_rings_rate", "answer_rate", "abandon_rate", "asa_seconds", "offered_calls"),
            chart=("answer_rate", "answer_within_3_rings_rate", "abandon_rate")),
    Subject("tickets",
            page=("contacts", "fcr_rate", "complaint_rate", "on_time_resolution_rate", "resolution_hours", "backlog"),
            pack=("contacts", "fcr_rate", "complaint_rate", "resolution_hours", "on_time_resolution_rate", "backlog"),
            pack_by=("team",),
            chart=("fcr_rate", "on_time_resolution_rate", "complaint_rate")),
    Subject("satisfaction",
            page=("callbacks", "callback_reach_rate", "callback_coverage_rate", "callback_next_day_rate",
                  "satisfaction_rate", "satisfaction_points", "dissatisfied"),
            pack=("callbacks", "callback_reach_rate", "callback_coverage_rate", "satisfaction_rate",
                  "satisfaction_points", "dissatisfied"),
            pack_by=("team",),
            overview=("satisfaction_rate", "satisfaction_points", "callback_coverage_rate", "callback_reach_rate",
                      "dissatisfied"),
            chart=("callback_coverage_rate", "satisfaction_rate")),
    Subject("sales",
            page=("revenue", "orders", "aov", "inquiry_conversion_rate", "buyers", "repeat_purchase_rate",
                  "returning_buyer_share", "returning_revenue_share", "refund_rate"),
            pack=("revenue", "orders", "aov", "buyers", "inquiry_conversion_rate", "repeat_purchase_rate",
                  "returning_buyer_share", "refund_rate"),
            pack_by=("region", "store"),
            overview=("revenue", "orders", "aov", "inquiry_conversion_rate", "returning_buyer_share"),
            chart=("revenue",)),
    # the complaint register has its own weekly and monthly reports (reports/), not yet a pack section
    Subject("complaints",
            page=("complaint_items", "complaints", "complaint_valid_rate", "complaint_resolved_rate",
                  "complaint_on_time_rate", "complaint_result_hours", "complaint_callback_rate",
                  "complaint_satisfaction_rate", "complaints_per_order", "complaints_per_contact",
                  "installer_complaints"),
            pack=("complaints", "complaint_valid_rate", "complaint_resolved_rate", "complaint_on_time_rate",
                  "complaint_callback_rate", "complaint_satisfaction_rate"),
            pack_by=("region", "department"),
            chart=("complaint_resolved_rate", "complaint_on_time_rate", "complaint_callback_rate"),
            in_pack=False),
    # customers (the 客户 page; metrics/customers.py): a section of the pack when orders are loaded
    Subject("customers",
            page=("buyers", "returning_customer_rate", "new_to_returning_rate", "returning_buyer_share",
                  "repeat_purchase_rate", "dormant_customers", "churned_customers", "reactivation_rate",
                  "rescue_rate"),
            pack=("buyers", "returning_customer_rate", "new_to_returning_rate", "dormant_customers",
                  "churned_customers", "reactivation_rate", "rescue_rate"),
            pack_by=("region",),
            chart=("returning_customer_rate", "new_to_returning_rate", "reactivation_rate", "rescue_rate"),
            needs=("sales",)),
    # store operations (the 门店 page's scorecard; metrics/stores.py): a section of the pack when a store
    # export is loaded
    Subject("stores",
            page=("revenue", "orders", "aov", "revenue_per_open_day", "revenue_per_sqm", "complaints",
                  "complaints_per_10k_revenue", "audit_category_score", "audit_iga_score", "audit_qsc_score",
                  "inventory_turnover", "inventory_days", "stockout_rate", "collection_rate", "dso_days"),
            pack=("revenue", "revenue_per_sqm", "audit_qsc_score", "inventory_turnover", "stockout_rate",
                  "collection_rate"),
            pack_by=("store",),
            needs=("stores", "store_audits", "inventory_snapshots", "receivables", "store_targets")),
)}
# the subjects that are sections of the monthly review pack
PACK_SUBJECTS = {k: s for k, s in SUBJECTS.items() if s.in_pack}
# the overview's sections, in order (subjects with cards); the benchmarks time this set too
OVERVIEW = tuple(s for s in SUBJECTS.values() if s.overview)
OVERVIEW_KPIS = tuple(k for s in OVERVIEW for k in s.overview)
# the pack's first section: the month's KPIs against target, MoM and YoY
SUMMARY_KPIS = ("contacts", "answer_rate", "answer_within_3_rings_rate", "abandon_rate", "asa_seconds", "aht_seconds",
                "fcr_rate", "complaint_rate", "on_time_resolution_rate", "callback_coverage_rate",
                "satisfaction_rate", "satisfaction_points", "revenue", "aov", "inquiry_conversion_rate")
# the pack's team × month matrices
MATRIX_KPIS = ("answer_within_3_rings_rate", "satisfaction_rate")


def validate() -> list[str]:
    """Every problem at once: an unknown KPI, an overview card or chart KPI not on the page or in the pack,
    a chart mixing units."""
    problems = []
    for s in SUBJECTS.values():
        for group in ("page", "pack", "overview", "chart"):
            for k in getattr(s, group):
                if k not in BY_KEY:
                    problems.append(f"subject {s.key}: {group} has unknown KPI {k}")
        if not set(s.chart) <= set(s.pack):
            problems.append(f"subject {s.key}: chart KPIs must be in the pack's tables")
        if len({BY_KEY[k].unit for k in s.chart if k in BY_KEY}) > 1:
            problems.append(f"subject {s.key}: chart mixes units")
    for k in (*SUMMARY_KPIS, *MATRIX_KPIS):
        if k not in BY_KEY:
            problems.append(f"summary or matrix: unknown KPI {k}")
    return problems
