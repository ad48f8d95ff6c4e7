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


class Unit(str, Enum):
    COUNT = "count"
    PERCENT = "percent"   # stored as a fraction: 0.9123
    SECONDS = "seconds"
    HOURS = "hours"
    YUAN = "yuan"
    POINTS = "points"

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
    label: str
    label_en: str
    source: str
    unit: Unit
    direction: Direction
    numerator: Measure
    denominator: Measure | None = None
    formula: str = ""          # the formula as the spec writes it
    description: str = ""      # 口径: what is included and excluded, in Chinese
    settings: tuple[str, ...] = ()   # the settings the figure depends on (shown with it)

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None


UP, DOWN, NONE = Direction.UP, Direction.DOWN, Direction.NONE
PCT, CNT, SEC, HRS, YUAN, PTS = Unit.PERCENT, Unit.COUNT, Unit.SECONDS, Unit.HOURS, Unit.YUAN, Unit.POINTS
SL_SETTINGS = ("ring_cycle_seconds", "answer_rings", "short_abandon_rings", "voicemail_as_missed",
               "abandon_treatment")

METRICS: tuple[Metric, ...] = (
    # ---------------------------------------------------------------- calls and contacts (tickets)
    Metric("contacts", "咨询量/来电量", "Contacts", "tickets", CNT, NONE, Count(),
           formula="rows",
           description="当月创建的全部记录：呼入、呼出电话、在线会话与工单，不论结果。"),
    Metric("offered_calls", "呼入量", "Offered calls", "tickets", CNT, NONE, Count("offered"),
           formula="offered calls",
           description="电话渠道、方向为呼入、通话结果不是「未进入人工」（IVR、黑名单、非工作时间）的来电；"
                       "留言按设置计入或排除。",
           settings=("voicemail_as_missed",)),
    Metric("answer_rate", "接通率", "Answer rate", "tickets", PCT, UP, Count("answered"), Count("sl_base"),
           formula="answered / (offered − short abandons)",
           description="已接听 / (呼入量 − 短时放弃)。短时放弃 = 振铃不超过设定声数即挂断的未接来电；"
                       "分母随「放弃来电口径」设置变化。",
           settings=SL_SETTINGS),
    Metric("answer_within_3_rings_rate", "3声内接听率", "Answered within 3 rings", "tickets", PCT, UP,
           Count("answered AND rings <= :answer_rings"), Count("sl_base"),
           formula="answered with rings ≤ answer_rings / (offered − short abandons)",
           description="响铃不超过设定声数（默认3声）即接听的来电 / (呼入量 − 短时放弃)。"
                       "铃声数 = 响铃次数，缺失时 = ⌈振铃秒数 / 每声秒数⌉；铃声未知的接听不算3声内。",
           settings=SL_SETTINGS),
    Metric("abandon_rate", "放弃率/呼损率", "Abandon rate", "tickets", PCT, DOWN,
           Count("missed"), Count("offered"),
           formula="missed / offered",
           description="未接（含排队/振铃放弃，留言按设置计入）/ 呼入量；短时放弃也计入。",
           settings=("voicemail_as_missed",)),
    Metric("asa_seconds", "平均应答时长", "Average speed of answer", "tickets", SEC, DOWN,
           Sum("wait_seconds", "answered"), Count("answered AND wait_seconds IS NOT NULL"),
           formula="mean wait of answered calls",
           description="已接听来电的等待秒数平均值：排队+振铃（都已知时），否则振铃秒数，否则 铃声数×每声秒数。",
           settings=("ring_cycle_seconds",)),
    Metric("aht_seconds", "平均通话时长", "Average handling time", "tickets", SEC, DOWN,
           Sum("talk_seconds + coalesce(hold_seconds, 0)", "answered"),
           Count("answered AND talk_seconds IS NOT NULL"),
           formula="mean (talk_seconds + hold_seconds) of answered calls",
           description="已接听来电的 通话秒数+保持秒数 的平均值；无通话时长的记录不计。"),
    Metric("long_hold_rate", "等待超30秒比例", "Hold over 30 s", "tickets", PCT, DOWN,
           Count("answered AND hold_seconds > 30"), Count("answered"),
           formula="answered calls with hold_seconds > 30 / answered calls",
           description="通话中保持（让客户等待）超过30秒的已接听来电 / 已接听来电。"),
    Metric("repeat_hold_rate", "多次等待比例", "Repeated holds", "tickets", PCT, DOWN,
           Count("answered AND hold_count >= 2"), Count("answered"),
           formula="answered calls with hold_count ≥ 2 / answered calls",
           description="保持2次及以上的已接听来电 / 已接听来电。"),
    Metric("fcr_rate", "一次解决率", "First-contact resolution", "tickets", PCT, UP,
           Count("done AND first_contact_resolved"), Count("done AND first_contact_resolved IS NOT NULL"),
           formula="resolved-or-closed with first_contact_resolved / resolved-or-closed with a known flag",
           description="已解决或已关闭且标记一次解决的记录 / 已解决或已关闭且一次解决标记已知的记录（按创建月份）。"),
    Metric("complaint_rate", "投诉率", "Complaint rate", "tickets", PCT, DOWN,
           Count("is_complaint"), Count(),
           formula="complaint rows / rows",
           description="投诉记录（是否投诉=是，或分类含「投诉」）/ 全部记录。"),
    Metric("resolution_hours", "平均处理时效", "Mean resolution time", "resolved", HRS, DOWN,
           Sum("resolution_hours"), Count("resolution_hours IS NOT NULL"),
           formula="mean hours created → resolved, resolved rows",
           description="当月解决（按解决时间归月）的记录，从创建到解决的小时数平均值。"),
    Metric("on_time_resolution_rate", "按时办结率", "Resolved on time", "resolved", PCT, UP,
           Count("resolution_hours <= sla_hours"), Count("resolution_hours IS NOT NULL"),
           formula="resolved within sla_hours / resolved",
           description="当月解决的记录中，在该分类时限（默认24小时）内解决的比例。",
           settings=("sla_hours",)),
    Metric("backlog", "未结工单", "Backlog", "backlog", CNT, DOWN, Count(),
           formula="rows not resolved/closed at the end of the month",
           description="月末仍未解决/关闭的记录（创建于月末之前，月末时尚无解决时间或状态仍为处理中），按创建时的班组等归属。"),
    # ---------------------------------------------------------------- callbacks and satisfaction
    Metric("callbacks", "回访量", "Callbacks", "callbacks", CNT, NONE, Count(),
           formula="callback rows",
           description="当月（按回访时间）的回访记录，归属其工单的班组、客服、区域与门店。"),
    Metric("callback_reach_rate", "回访成功率", "Callback reach rate", "callbacks", PCT, UP,
           Count("result = 'reached'"), Count(),
           formula="reached / callbacks",
           description="回访成功（接通，或有满意度评价）/ 回访量。"),
    Metric("callback_coverage_rate", "回访率", "Callback coverage", "resolved", PCT, UP,
           Count("aftersales AND has_callback"), Count("aftersales"),
           formula="after-sales tickets resolved in the month with ≥ 1 callback / after-sales tickets resolved in the month",
           description="当月解决的售后工单中，至少有一次回访记录（任何结果）的比例；安装规定目标100%。"),
    Metric("callback_next_day_rate", "次日回访率", "Called back by next day", "resolved", PCT, UP,
           Count("aftersales AND has_callback AND first_callback_day <= resolved_day + 1"),
           Count("aftersales AND has_callback"),
           formula="of those covered, first callback within the calendar day after resolution",
           description="已回访的当月解决售后工单中，首次回访不晚于解决次日（自然日）的比例。"),
    Metric("satisfaction_rate", "满意率", "Satisfaction rate", "callbacks", PCT, UP,
           Count("satisfaction IN ('A', 'B')"), Count("satisfaction IS NOT NULL"),
           formula="graded A or B / graded",
           description="评价为非常满意(A)或满意(B)的回访 / 有评价的回访；未评价不计。"),
    Metric("satisfaction_points", "满意度均分", "Satisfaction points", "callbacks", PTS, UP,
           Sum("points"), Count("satisfaction IS NOT NULL"),
           formula="mean points per graded callback (A 5, B 3, C 0, D −5)",
           description="每条有评价回访的分值平均：A 5分、B 3分、C 0分、D −5分。"),
    Metric("dissatisfied", "不满意数", "Dissatisfied", "callbacks", CNT, DOWN,
           Count("satisfaction IN ('C', 'D')"),
           formula="graded C or D",
           description="评价为一般(C)或不满意(D)的回访条数。"),
    # ---------------------------------------------------------------- sales, conversion, members
    Metric("revenue", "销售额", "Revenue", "sales", YUAN, UP, Sum("net_amount", "paid"),
           formula="Σ (amount − refund_amount) over paid orders",
           description="已付款/已完成订单的 实付金额 − 退款金额，按下单时间归月；未付款、已取消、已退款订单不计。"),
    Metric("orders", "订单数", "Orders", "sales", CNT, UP, Count("paid"),
           formula="paid orders",
           description="已付款或已完成的订单数。"),
    Metric("aov", "客单价", "Average order value", "sales", YUAN, UP, Sum("net_amount", "paid"), Count("paid"),
           formula="revenue / orders",
           description="销售额 / 订单数。"),
    Metric("buyers", "购买客户数", "Buyers", "buyers", CNT, UP, Count(),
           formula="distinct customers with a paid order",
           description="有已付款订单的不同客户数；无客户编号的订单不计。"),
    Metric("repeat_purchase_rate", "重复购买率", "Repeat purchase rate", "buyers", PCT, UP,
           Count("paid_orders >= 2"), Count(),
           formula="buyers with ≥ 2 paid orders in the period / buyers",
           description="期内（按月分组时为该月）有2笔及以上已付款订单的客户 / 购买客户数。"),
    Metric("returning_buyer_share", "老客占比", "Returning buyers", "buyers", PCT, UP,
           Count("is_returning"), Count(),
           formula="buyers with a paid order before the period start / buyers",
           description="期初之前（在同一查看范围内）已有已付款订单的客户 / 购买客户数。"),
    Metric("returning_revenue_share", "老客贡献占比", "Revenue from returning buyers", "buyers", PCT, UP,
           Sum("revenue", "is_returning"), Sum("revenue"),
           formula="revenue from those returning buyers / revenue",
           description="老客的销售额 / 有客户编号订单的销售额。"),
    Metric("member_aov", "会员客单价", "Member AOV", "sales", YUAN, UP,
           Sum("net_amount", "paid AND member_level IS NOT NULL"), Count("paid AND member_level IS NOT NULL"),
           formula="aov over paid orders with a member_level",
           description="有会员等级的已付款订单的客单价。"),
    Metric("refund_rate", "退款率/纠纷率", "Refund rate", "sales", PCT, DOWN,
           Count("status = 'refunded' OR (paid AND refund_amount > 0)"), Count("paid OR status = 'refunded'"),
           formula="orders refunded (status refunded or refund_amount > 0) / (paid + refunded orders)",
           description="退款订单（状态为已退款，或有退款金额的已付款订单）/ (已付款订单 + 已退款订单)。"),
    Metric("inquiry_conversion_rate", "询单转化率", "Inquiry conversion", "inquiries", PCT, UP,
           Count("converted"), Count(),
           formula="converted inquirers / inquirers",
           description="当月售前咨询的不同客户中，在首次咨询之后、窗口结束（默认次日23:59:59）之前付款的比例，"
                       "记在首次咨询的客服、班组、区域、门店与月份上。销售数据未覆盖到窗口结束的月份标为延迟统计。",
           settings=("conversion_window",)),
)

BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
KEYS: tuple[str, ...] = tuple(BY_KEY)


def metric(key: str) -> Metric:
    from metrics.errors import MetricError

    try:
        return BY_KEY[key]
    except KeyError:
        raise MetricError(f"未知指标「{key}」。可用的指标：{', '.join(KEYS)}") from None


def validate(metrics: tuple[Metric, ...] = METRICS) -> list[str]:
    """Every problem of the registry at once (a test requires ``validate() == []``)."""
    from metrics.settings import SETTINGS
    from metrics.sources import SOURCES

    problems: list[str] = []
    seen: set[str] = set()
    for m in metrics:
        where = f"metric {m.key!r}"
        if m.key in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(m.key)
        if not m.key.isidentifier() or m.key != m.key.lower():
            problems.append(f"{where}: id must be lower snake_case")
        for attr in ("label", "label_en", "formula", "description"):
            if not getattr(m, attr).strip():
                problems.append(f"{where}: missing {attr}")
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
