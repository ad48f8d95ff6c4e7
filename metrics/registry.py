"""Every KPI of ``shared/spec/kpis.md``, declared once.

A KPI is Σ numerator / Σ denominator over the rows of one *source* (``metrics/sources.py``), both
sums computed by the database in one grouped query per source; counts and amounts have no
denominator.  A conditional count is ``Count("answered")``; a conditional sum is
``Sum("wait_seconds", where="answered")``.  Conditions and values are SQL over the source's fact
columns and may use the settings as bound parameters (``:answer_rings``).

The ids are an interface: the CLI, URLs, exports and tests use them.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from metrics.errors import MetricError
from metrics.settings import SETTINGS
from metrics.sources import SOURCES
import texts


class Unit(str, Enum):
    COUNT = "count"
    PERCENT = "percent"   # stored as a fraction: 0.9123
    SECONDS = "seconds"
    HOURS = "hours"
    YUAN = "yuan"
    POINTS = "points"
    TIMES = "times"       # a turnover: times per month
    DAYS = "days"
    PER_10K = "per_10k"   # per 10,000 yuan of revenue

    @property
    def is_rate(self) -> bool:
        return self is Unit.PERCENT


class Direction(str, Enum):
    UP = "up"        # higher is better ↑
    DOWN = "down"    # lower is better ↓
    NONE = "none"    # a volume: no good or bad


@dataclass(frozen=True)
class Count:
    """Number of fact rows where ``where`` holds."""
    where: str = "TRUE"

    def sql(self) -> str:
        return f"SUM(CASE WHEN {self.where} THEN 1 ELSE 0 END)"


@dataclass(frozen=True)
class Sum:
    """Σ ``value`` over the fact rows where ``where`` holds (NULL values add nothing)."""
    value: str
    where: str = "TRUE"

    def sql(self) -> str:
        return f"SUM(CASE WHEN {self.where} THEN {self.value} END)"


Measure = Count | Sum


@dataclass(frozen=True)
class Metric:
    key: str
    source: str
    unit: Unit
    direction: Direction
    numerator: Measure
    denominator: Measure | None = None
    formula: str = ""          # the formula as the spec writes it
    settings: tuple[str, ...] = ()   # the settings the figure depends on (shown with it)

    # The label and 口径 (what is included and excluded) are catalog texts kpi.<key> and kpi.<key>.about.
    def label_in(self, lang: str = texts.DEFAULT) -> str:
        return texts.text(f"kpi.{self.key}", lang)

    def about(self, lang: str = texts.DEFAULT) -> str:
        return texts.text(f"kpi.{self.key}.about", lang)

    @property
    def label(self) -> str:
        return self.label_in(texts.DEFAULT)

    @property
    def description(self) -> str:
        return self.about(texts.DEFAULT)

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None


UP, DOWN, NONE = Direction.UP, Direction.DOWN, Direction.NONE
PCT, CNT, SEC, HRS, YUAN, PTS = Unit.PERCENT, Unit.COUNT, Unit.SECONDS, Unit.HOURS, Unit.YUAN, Unit.POINTS
TIMES, DAYS, PER_10K = Unit.TIMES, Unit.DAYS, Unit.PER_10K
AUDIT = "audit_type = '{}'"
SL_SETTINGS = ("ring_cycle_seconds", "answer_rings", "short_abandon_rings", "voicemail_as_missed",
               "abandon_treatment")

METRICS: tuple[Metric, ...] = (
    # ---------------------------------------------------------------- calls and contacts (tickets)
    Metric("contacts", "tickets", CNT, NONE, Count(),
           formula="rows"),
    Metric("offered_calls", "tickets", CNT, NONE, Count("offered"),
           formula="offered calls",
           settings=("voicemail_as_missed",)),
    Metric("answer_rate", "tickets", PCT, UP, Count("answered"), Count("sl_base"),
           formula="answered / (offered − short abandons)",
           settings=SL_SETTINGS),
    Metric("answer_within_3_rings_rate", "tickets", PCT, UP,
           Count("answered AND rings <= :answer_rings"), Count("sl_base"),
           formula="answered with rings ≤ answer_rings / (offered − short abandons)",
           settings=SL_SETTINGS),
    Metric("abandon_rate", "tickets", PCT, DOWN,
           Count("missed"), Count("offered"),
           formula="missed / offered",
           settings=("voicemail_as_missed",)),
    Metric("asa_seconds", "tickets", SEC, DOWN,
           Sum("wait_seconds", "answered"), Count("answered AND wait_seconds IS NOT NULL"),
           formula="mean wait of answered calls",
           settings=("ring_cycle_seconds",)),
    Metric("aht_seconds", "tickets", SEC, DOWN,
           Sum("talk_seconds + coalesce(hold_seconds, 0)", "answered"),
           Count("answered AND talk_seconds IS NOT NULL"),
           formula="mean (talk_seconds + hold_seconds) of answered calls"),
    Metric("long_hold_rate", "tickets", PCT, DOWN,
           Count("answered AND hold_seconds > 30"), Count("answered"),
           formula="answered calls with hold_seconds > 30 / answered calls"),
    Metric("repeat_hold_rate", "tickets", PCT, DOWN,
           Count("answered AND hold_count >= 2"), Count("answered"),
           formula="answered calls with hold_count ≥ 2 / answered calls"),
    Metric("fcr_rate", "tickets", PCT, UP,
           Count("done AND first_contact_resolved"), Count("done AND first_contact_resolved IS NOT NULL"),
           formula="resolved-or-closed with first_contact_resolved / resolved-or-closed with a known flag"),
    Metric("complaint_rate", "tickets", PCT, DOWN,
           Count("is_complaint"), Count(),
           formula="complaint rows / rows"),
    Metric("resolution_hours", "resolved", HRS, DOWN,
           Sum("resolution_hours"), Count("resolution_hours IS NOT NULL"),
           formula="mean hours created → resolved, resolved rows"),
    Metric("on_time_resolution_rate", "resolved", PCT, UP,
           Count("resolution_hours <= sla_hours"), Count("resolution_hours IS NOT NULL"),
           formula="resolved within sla_hours / resolved",
           settings=("sla_hours",)),
    Metric("backlog", "backlog", CNT, DOWN, Count(),
           formula="rows not resolved/closed at the end of the month"),
    # ---------------------------------------------------------------- callbacks and satisfaction
    Metric("callbacks", "callbacks", CNT, NONE, Count(),
           formula="callback rows"),
    Metric("callback_reach_rate", "callbacks", PCT, UP,
           Count("result = 'reached'"), Count(),
           formula="reached / callbacks"),
    Metric("callback_coverage_rate", "resolved", PCT, UP,
           Count("aftersales AND has_callback"), Count("aftersales"),
           formula="after-sales tickets resolved in the month with ≥ 1 callback / after-sales tickets resolved in the month"),
    Metric("callback_next_day_rate", "resolved", PCT, UP,
           Count("aftersales AND has_callback AND first_callback_day <= resolved_day + 1"),
           Count("aftersales AND has_callback"),
           formula="of those covered, first callback within the calendar day after resolution"),
    Metric("satisfaction_rate", "callbacks", PCT, UP,
           Count("satisfaction IN ('A', 'B')"), Count("satisfaction IS NOT NULL"),
           formula="graded A or B / graded"),
    Metric("satisfaction_points", "callbacks", PTS, UP,
           Sum("points"), Count("satisfaction IS NOT NULL"),
           formula="mean points per graded callback (A 5, B 3, C 0, D −5)"),
    Metric("dissatisfied", "callbacks", CNT, DOWN,
           Count("satisfaction IN ('C', 'D')"),
           formula="graded C or D"),
    # ---------------------------------------------------------------- sales, conversion, members
    Metric("revenue", "sales", YUAN, UP, Sum("net_amount", "paid"),
           formula="Σ (amount − refund_amount) over paid orders"),
    Metric("orders", "sales", CNT, UP, Count("paid"),
           formula="paid orders"),
    Metric("aov", "sales", YUAN, UP, Sum("net_amount", "paid"), Count("paid"),
           formula="revenue / orders"),
    Metric("buyers", "buyers", CNT, UP, Count(),
           formula="distinct customers with a paid order"),
    Metric("repeat_purchase_rate", "buyers", PCT, UP,
           Count("paid_orders >= 2"), Count(),
           formula="buyers with ≥ 2 paid orders in the period / buyers"),
    Metric("returning_buyer_share", "buyers", PCT, UP,
           Count("is_returning"), Count(),
           formula="buyers with a paid order before the period start / buyers"),
    Metric("returning_revenue_share", "buyers", PCT, UP,
           Sum("revenue", "is_returning"), Sum("revenue"),
           formula="revenue from those returning buyers / revenue"),
    Metric("member_aov", "sales", YUAN, UP,
           Sum("net_amount", "paid AND member_level IS NOT NULL"), Count("paid AND member_level IS NOT NULL"),
           formula="aov over paid orders with a member_level"),
    Metric("refund_rate", "sales", PCT, DOWN,
           Count("status = 'refunded' OR (paid AND refund_amount > 0)"), Count("paid OR status = 'refunded'"),
           formula="orders refunded (status refunded or refund_amount > 0) / (paid + refunded orders)"),
    # customers over their history (the 客户 page): judged within the scope, the filters and the group
    Metric("returning_customer_rate", "customers", PCT, UP,
           Count("bought_before = 1 AND bought = 1"), Count("bought_before = 1"),
           formula="last month's buyers who bought again this month / last month's buyers",
           settings=()),
    Metric("new_to_returning_rate", "customers", PCT, UP, Count("new_returned"), Count("new_due"),
           formula="new customers whose returning_days window ends this month and who bought again within it"
                   " / new customers whose window ends this month",
           settings=("returning_days",)),
    Metric("dormant_customers", "customers", CNT, DOWN, Count("dormant"),
           formula="customers whose last purchase is more than dormant_days and at most churn_days before the month's end",
           settings=("dormant_days", "churn_days")),
    Metric("churned_customers", "customers", CNT, DOWN, Count("churned"),
           formula="customers whose last purchase is more than churn_days before the month's end",
           settings=("churn_days",)),
    Metric("reactivation_rate", "customers", PCT, UP,
           Count("dormant_before AND bought = 1"), Count("dormant_before"),
           formula="customers dormant at the month's start who bought in the month / customers dormant at its start",
           settings=("dormant_days", "churn_days")),
    Metric("rescue_rate", "customers", PCT, UP,
           Count("churned_before AND bought = 1"), Count("churned_before"),
           formula="customers churned at the month's start who bought in the month / customers churned at its start",
           settings=("churn_days",)),
    Metric("inquiry_conversion_rate", "inquiries", PCT, UP,
           Count("converted"), Count(),
           formula="converted inquirers / inquirers",
           settings=("conversion_window",)),
    # ---------------------------------------------------------------- the complaint register (closed loop)
    Metric("complaint_items", "complaints", CNT, NONE, Count(),
           formula="register rows (complaints, opinions and suggestions)"),
    Metric("complaints", "complaints", CNT, DOWN, Count("complaint_class = 'complaint'"),
           formula="register rows of class complaint"),
    Metric("opinions", "complaints", CNT, NONE, Count("complaint_class = 'opinion'"),
           formula="register rows of class opinion"),
    Metric("suggestions", "complaints", CNT, NONE, Count("complaint_class = 'suggestion'"),
           formula="register rows of class suggestion"),
    Metric("complaints_per_order", "complaint_base", PCT, DOWN, Sum("complaint"), Sum("paid_order"),
           formula="complaints / paid orders"),
    Metric("complaints_per_contact", "complaint_base", PCT, DOWN, Sum("complaint"), Sum("contact"),
           formula="complaints / contacts (ticket rows)"),
    Metric("complaint_valid_rate", "complaints", PCT, DOWN,
           Count("complaint_class = 'complaint' AND valid"), Count("complaint_class = 'complaint' AND valid IS NOT NULL"),
           formula="complaints judged valid / complaints judged"),
    Metric("complaint_resolved_rate", "complaints", PCT, UP,
           Count("resolved_at IS NOT NULL"), Count(),
           formula="register rows with a result / register rows"),
    Metric("complaint_result_hours", "complaints", HRS, DOWN,
           Sum("result_hours"), Count("result_hours IS NOT NULL"),
           formula="mean hours received → resolved, resolved rows"),
    Metric("complaint_on_time_rate", "complaints", PCT, UP,
           Count("result_hours <= :complaint_resolve_hours"), Count("result_hours IS NOT NULL"),
           formula="resolved within complaint_resolve_hours / resolved",
           settings=("complaint_resolve_hours",)),
    Metric("complaint_callback_rate", "complaints", PCT, UP,
           Count("resolved_at IS NOT NULL AND called_back"), Count("resolved_at IS NOT NULL"),
           formula="resolved rows called back afterwards / resolved rows"),
    Metric("complaint_satisfaction_rate", "complaints", PCT, UP,
           Count("called_back AND post_satisfaction IN ('A', 'B')"), Count("called_back"),
           formula="called back and graded A or B / called back"),
    Metric("installer_complaints", "complaints", CNT, DOWN,
           Count("verified AND unit IS NOT NULL"),
           formula="complaints verified against an installer unit"),
    Metric("complaints_per_10k_revenue", "complaint_base", PER_10K, DOWN, Sum("complaint"), Sum("revenue_10k"),
           formula="complaints / (revenue / 10,000 yuan)"),
    # ---------------------------------------------------------------- store operations
    Metric("audit_category_score", "audits", PTS, UP,
           Sum("score", AUDIT.format("category_standard")), Count(AUDIT.format("category_standard")),
           formula="mean score of the category operating-standard checks (品类标准)"),
    Metric("audit_iga_score", "audits", PTS, UP, Sum("score", AUDIT.format("iga")), Count(AUDIT.format("iga")),
           formula="mean score of the IGA five-star audits"),
    Metric("audit_qsc_score", "audits", PTS, UP, Sum("score", AUDIT.format("qsc")), Count(AUDIT.format("qsc")),
           formula="mean score of the QSC audits"),
    Metric("qsc_quality", "audits", PTS, UP,
           Sum("quality", AUDIT.format("qsc")), Count(AUDIT.format("qsc") + " AND quality IS NOT NULL"),
           formula="mean quality (品质) sub-score of the QSC audits"),
    Metric("qsc_service", "audits", PTS, UP,
           Sum("service", AUDIT.format("qsc")), Count(AUDIT.format("qsc") + " AND service IS NOT NULL"),
           formula="mean service (服务) sub-score of the QSC audits"),
    Metric("qsc_cleanliness", "audits", PTS, UP,
           Sum("cleanliness", AUDIT.format("qsc")), Count(AUDIT.format("qsc") + " AND cleanliness IS NOT NULL"),
           formula="mean cleanliness (清洁) sub-score of the QSC audits"),
    Metric("inventory_turnover", "stock", TIMES, UP, Sum("cogs"), Sum("avg_inventory"),
           formula="cost of goods sold / average inventory (mean of the month's snapshot days), per month"),
    Metric("inventory_days", "stock", DAYS, DOWN, Sum("inventory_days"), Sum("cogs"),
           formula="average inventory × days of the month / cost of goods sold"),
    Metric("stockout_rate", "stock", PCT, DOWN, Sum("out_days"), Sum("sku_days"),
           formula="SKU-days out of stock / SKU-days snapshotted"),
    Metric("revenue_per_open_day", "store_days", YUAN, UP, Sum("revenue"), Sum("open_days"),
           formula="revenue of the master's stores / their open days (opened_on … closed_on)"),
    Metric("revenue_per_sqm", "store_days", YUAN, UP, Sum("revenue"), Sum("area_months"),
           formula="revenue / (area m² × open days / days of the month): sales per m² per month (坪效)"),
    Metric("collection_rate", "receivables", PCT, UP, Sum("collected"), Sum("due"),
           formula="collected / due, receivables raised in the period"),
    Metric("receivables_turnover", "receivables", TIMES, UP, Sum("due"), Sum("outstanding"),
           formula="due / outstanding (due − collected), receivables raised in the period"),
    Metric("dso_days", "receivables", DAYS, DOWN, Sum("outstanding_days"), Sum("due"),
           formula="outstanding × days of the month / due (days sales outstanding)"),
)

BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
KEYS: tuple[str, ...] = tuple(BY_KEY)


def metric(key: str) -> Metric:
    try:
        return BY_KEY[key]
    except KeyError:
        raise MetricError("metric.unknown_kpi", key=key, keys=", ".join(KEYS)) from None


def validate(metrics: tuple[Metric, ...] = METRICS) -> list[str]:
    """Every problem of the registry at once (a test requires ``validate() == []``)."""

    problems: list[str] = []
    seen: set[str] = set()
    for m in metrics:
        where = f"metric {m.key!r}"
        if m.key in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(m.key)
        if not m.key.isidentifier() or m.key != m.key.lower():
            problems.append(f"{where}: id must be lower snake_case")
        if not m.formula.strip():
            problems.append(f"{where}: missing formula")
        problems += [f"{where}: {p}" for p in texts.missing((f"kpi.{m.key}", f"kpi.{m.key}.about"))]
        if m.source not in SOURCES:
            problems.append(f"{where}: unknown source {m.source!r}")
        for s in m.settings:
            if s not in SETTINGS:
                problems.append(f"{where}: unknown setting {s!r}")
        if m.unit is Unit.PERCENT and m.denominator is None:
            problems.append(f"{where}: a rate needs a denominator")
        if m.unit in (Unit.COUNT,) and m.denominator is not None:
            problems.append(f"{where}: a count has no denominator")
    return problems
