"""What an export kind is, declared once: its canonical columns, types and header aliases; its
warehouse table (derived: ``warehouse.schema`` builds the table from these columns), natural key,
event time, per-kind defaults and row checks.  The label of a kind is the catalog text ``kind.<kind>``.

Adding a kind: declare it here, add its vocabulary words (``loaders/vocab.py``) if it has new ones,
its texts (``texts/langs/*``), a fixture and tests; ``loaders.schema.validate_schemas()`` lists what
is missing.

Aliases come from the data contract (``shared/spec/data-contract.md``) and are matched after
``normalise_header`` (full-width → half-width, brackets, spaces, case).  When two headers of a
file map to the same column, the one whose alias is listed first wins.  Columns are claimed in
the order declared, so ``call_result`` claims 处理状态 before ``status`` can.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import Enum

import texts


class Kind(str, Enum):
    text = "text"            # trimmed; empty words (-, --, 无, null…) become NULL
    id = "id"                # text with Excel guards (="123", leading ') stripped
    timestamp = "timestamp"  # every form in the contract, local time
    date = "date"
    month = "month"          # 2026-10, 2026/10, 2026年10月, or any date of the month
    duration = "duration"    # seconds, mm:ss, hh:mm:ss, 1分35秒
    money = "money"          # ¥ ￥ 元 and thousands separators
    int = "int"              # non-negative integer
    number = "number"        # non-negative number
    bool = "bool"
    vocab = "vocab"          # mapped through a vocabulary of ``loaders.vocab``


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    aliases: tuple[str, ...]
    required: bool = False
    vocab: str | None = None           # vocabulary name for Kind.vocab
    max_value: float | None = None     # inclusive upper bound for numbers


@dataclass(frozen=True)
class Check:
    """A row rule after the defaults: rows where ``when`` (SQL over the row) holds are rejected with the
    catalog text ``reason`` (stored in Chinese in ``rejects``); ``{value}`` in it is the SQL ``value``."""
    when: str
    reason: str
    value: str | None = None


@dataclass(frozen=True)
class Tally:
    """Rows of a load counted and named in its report (catalog text ``note``, parameter ``n``): rows the
    kind's rules loaded in a way the user should know about."""
    when: str      # SQL over a final row
    note: str


@dataclass(frozen=True)
class Expect:
    """A load warns (catalog text ``warning``) when some row matches ``given`` and none matches ``then``."""
    given: str
    then: str
    warning: str


@dataclass(frozen=True)
class Option:
    """A ``[KIND.options]`` setting of the mapping file; the first value is the default.  Defaults and
    checks read it as ``{opt.NAME}`` (the value as a SQL string)."""
    name: str
    values: tuple[str, ...]

    @property
    def default(self) -> str:
        return self.values[0]


class Input(str, Enum):
    """What makes a KPI input column suspicious when it holds one value for the whole file."""
    empty = "empty"          # only when empty
    catchall = "catchall"    # empty, or every row the vocabulary's catch-all (channel ``other``)
    any = "any"              # empty, or any single value


@dataclass(frozen=True)
class ExportSchema:
    kind: str                          # also the warehouse table's name
    key: tuple[str, ...]               # natural key: a re-export replaces the rows with the same key
    columns: tuple[Column, ...]
    event: str | None = None           # the timestamp placing a row in a month (loaded months, coverage)
    derived: tuple[Column, ...] = ()   # warehouse columns the load computes (not in the export)
    defaults: dict[str, str] = field(default_factory=dict)   # column → SQL over ``t`` (the typed row)
    checks: tuple[Check, ...] = ()
    roster_lookup: bool = False        # rows are checked or completed against the roster
    joins: tuple[str, ...] = ()        # extra joins the defaults use (``nick``: roster names → agent ids)
    legs_of: str | None = None         # rows sharing this column's value are one call's transfer legs
    orphans: str | None = None         # SQL over ``c`` (a loaded row): the row points at nothing loaded
    options: tuple[Option, ...] = ()   # the mapping file's ``[KIND.options]``
    tallies: tuple[Tally, ...] = ()    # loaded rows the report counts
    expects: tuple[Expect, ...] = ()   # file-level sanity: a warning when it fails
    inputs: dict[str, Input] = field(default_factory=dict)   # KPI inputs warned about when constant or empty

    @property
    def label(self) -> str:
        return texts.text(f"kind.{self.kind}")

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def table_columns(self) -> tuple[Column, ...]:
        return (*self.columns, *self.derived)


def normalise_header(text: str) -> str:
    """Full-width → half-width (NFKC also maps （） to ()), no spaces, lower case."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(text.split()).lower().lstrip("\ufeff")


C = Column
TICKETS = ExportSchema(
    kind="tickets", key=("ticket_id",), columns=(
        C("ticket_id", Kind.id, ("工单编号", "工单号", "工单ID", "话单ID", "话单id", "通话ID", "通话记录ID",
                                 "通话明细ID", "呼叫ID", "呼叫编号", "呼叫流水号", "callid", "会话ID", "记录编号"), required=True),
        C("parent_call_id", Kind.id, ("主话单ID", "主通话记录ID", "通话记录主callID", "mainUniqueId")),
        C("created_at", Kind.timestamp, ("来电时间", "呼叫时间", "呼叫开始时间", "通话开始时间", "开始时间", "进线时间",
                                         "会话开始时间", "创建时间", "咨询时间", "呼入时间"), required=True),
        C("channel", Kind.vocab, ("渠道", "来源", "工单来源", "来源渠道", "接入渠道", "咨询渠道"), required=True, vocab="channel"),
        C("direction", Kind.vocab, ("呼叫类型", "呼叫方向", "通话类型", "会话整体方向", "呼叫方式"), vocab="direction"),
        C("division", Kind.vocab, ("业务类型", "所属处", "售前售后", "服务类型"), vocab="division"),
        C("category", Kind.text, ("问题分类", "工单分类", "工单分类名称", "工单类目", "工单类型", "来电类型", "诉求类型",
                                  "咨询分类", "问题类型")),
        C("agent_id", Kind.id, ("客服工号", "座席工号", "坐席工号", "工号", "座席号", "坐席号", "座席账号", "坐席账号",
                                "座席标识", "cno", "处理人工号")),
        C("agent_name", Kind.text, ("客服姓名", "座席名称", "坐席名称", "客服名称", "客服昵称", "受理人", "受理人名称",
                                    "受理客服", "接待客服", "处理座席", "处理人")),
        C("team", Kind.text, ("班组", "小组", "组别", "技能组", "技能组名称", "队列", "队列名称", "首次排队技能组", "受理组",
                              "受理组名称", "客服组")),
        C("region", Kind.text, ("区域", "大区", "片区")),
        C("store", Kind.text, ("门店", "门店名称", "店铺", "店铺名称", "网点", "营业厅")),
        C("customer_id", Kind.id, ("客户编号", "会员编号", "客户ID", "会员ID")),
        C("customer_phone", Kind.id, ("客户号码", "客户电话", "客户手机", "联系电话", "来电号码", "主叫号码")),
        C("call_result", Kind.vocab, ("通话结果", "呼叫结果", "接听状态", "通话状态", "处理状态", "是否接通", "接通", "挂断原因"),
          vocab="call_result"),
        C("queue_seconds", Kind.duration, ("排队时长", "排队耗时", "等待时长", "累计等待时长", "已等候时长")),
        C("ring_seconds", Kind.duration, ("振铃时长", "振铃时长(秒)", "响铃时长", "响铃时长(秒)", "座席振铃时长", "响应时长")),
        C("ring_count", Kind.int, ("响铃次数", "振铃次数", "响铃声数")),
        C("rang_at", Kind.timestamp, ("振铃时间", "座席侧开始振铃时间")),
        C("answered_at", Kind.timestamp, ("应答时间", "接听时间", "接通时间", "客服接听时间")),
        C("ended_at", Kind.timestamp, ("挂机时间", "结束时间")),
        C("hold_seconds", Kind.duration, ("保持时长", "保持总时长", "通话中等待时长")),
        C("hold_count", Kind.int, ("保持次数",)),
        C("talk_seconds", Kind.duration, ("通话时长", "通话时长(秒)", "接听时长", "服务时长", "座席通话时长")),
        C("hangup_side", Kind.vocab, ("挂机方", "挂断方", "通话挂断方", "谁先挂机"), vocab="hangup_side"),
        C("status", Kind.vocab, ("工单状态", "状态", "处理状态"), vocab="ticket_status"),
        C("resolved_at", Kind.timestamp, ("解决时间", "工单被解决时间", "完结时间", "处理完成时间", "关闭时间", "关单时间",
                                          "结单时间")),
        C("first_contact_resolved", Kind.bool, ("一次解决", "首次解决", "是否一次解决", "问题是否一次解决")),
        C("is_complaint", Kind.bool, ("是否投诉",)),
    ),
    event="created_at", derived=(C("legs", Kind.int, ()),), roster_lookup=True, legs_of="parent_call_id",
    # an online tool names the agent by nickname: take the roster's agent (unambiguous matches only)
    joins=("LEFT JOIN nick ON nick.name = t.agent_name AND t.agent_id IS NULL",),
    defaults={
        "direction": "coalesce(t.direction, 'in')",
        "agent_id": "coalesce(t.agent_id, nick.agent_id)",
        "is_complaint": "coalesce(t.is_complaint, coalesce(t.category LIKE '%投诉%', false))",
        "ring_seconds": """coalesce(t.ring_seconds,
                         CASE WHEN t.answered_at IS NOT NULL AND t.rang_at IS NOT NULL
                              THEN epoch(t.answered_at - t.rang_at)
                              WHEN coalesce(t.call_result, '') <> 'answered' AND t.ended_at IS NOT NULL
                                   AND t.rang_at IS NOT NULL
                              THEN epoch(t.ended_at - t.rang_at) END)""",
    },
    checks=(
        # these two only when nothing else is wrong: they follow from a bad or missing cell
        Check("channel = 'phone' AND call_result IS NULL AND reason IS NULL", "reject.no_call_result"),
        # an answered call needs some figure of its wait (ring time, ring count or queue time); an unanswered
        # one without any loads as offered and missed (a tally), never as a short abandon
        Check("channel = 'phone' AND direction = 'in' AND call_result = 'answered'"
              " AND ring_seconds IS NULL AND ring_count IS NULL AND queue_seconds IS NULL", "reject.no_ring"),
        Check("ring_seconds < 0 AND reason IS NULL", "reject.rang_after_end"),
        Check("resolved_at < created_at", "reject.resolved_before_created"),
    ),
    tallies=(
        Tally("channel = 'phone' AND direction = 'in' AND call_result IN ('missed', 'voicemail')"
              " AND ring_seconds IS NULL AND ring_count IS NULL AND queue_seconds IS NULL", "load.note.missed_no_wait"),
        Tally("channel = 'phone' AND call_result = 'answered' AND agent_id IS NULL", "load.note.agent_unresolved"),
    ),
    expects=(Expect("call_result IS NOT NULL",
                    "channel = 'phone' AND direction = 'in' AND call_result IN ('answered', 'missed', 'voicemail')",
                    "load.warn.no_offered"),),
    inputs={"channel": Input.catchall, "call_result": Input.any},
)

CALLBACKS = ExportSchema(
    kind="callbacks", key=("callback_id",), columns=(
        C("callback_id", Kind.id, ("回访编号", "回访ID", "调查编号", "调查ID", "评价ID", "记录ID"), required=True),
        C("ticket_id", Kind.id, ("关联工单", "工单编号", "工单号", "工单ID", "通话ID", "话单ID", "会话ID"), required=True),
        C("callback_at", Kind.timestamp, ("回访时间", "回访日期", "调查时间", "评价时间", "满意度评价时间"), required=True),
        C("result", Kind.vocab, ("回访结果", "回访状态", "调查结果", "外呼结果"), vocab="callback_result"),
        C("satisfaction", Kind.vocab, ("满意度", "满意度评价", "回访满意度", "服务满意度", "满意度结果", "评价结果", "评价",
                                       "评分", "星级"), vocab="satisfaction"),
        C("caller_id", Kind.id, ("回访人", "回访人工号", "回访坐席", "回访客服", "调查人")),
        C("comment", Kind.text, ("客户意见", "意见建议", "回访备注", "评价内容", "评价备注", "不满意原因", "备注")),
    ),
    event="callback_at", inputs={"satisfaction": Input.empty},
    defaults={"result": "coalesce(t.result, CASE WHEN t.satisfaction IS NOT NULL THEN 'reached' END)"},
    orphans="NOT EXISTS (SELECT 1 FROM tickets t WHERE t.ticket_id = c.ticket_id)",
)

SALES = ExportSchema(
    kind="sales", key=("order_id",), columns=(
        C("order_id", Kind.id, ("订单编号", "主订单编号", "订单号", "单号", "销售单号", "单据号", "小票号", "流水号", "交易流水号",
                                "平台订单号"), required=True),
        C("ordered_at", Kind.timestamp, ("下单时间", "订单创建时间", "买家下单时间", "成交时间", "销售日期", "销售时间",
                                         "消费时间", "交易时间"), required=True),
        C("paid_at", Kind.timestamp, ("付款时间", "订单付款时间", "买家付款时间", "支付时间")),
        C("amount", Kind.money, ("买家实际支付金额", "买家实付金额", "实付金额", "支付金额", "实收金额", "消费金额", "成交金额",
                                 "销售额", "金额"), required=True),
        C("refund_amount", Kind.money, ("退款金额", "成功退款金额")),
        C("store", Kind.text, ("门店", "门店名称", "店铺", "店铺名称", "网点")),
        C("region", Kind.text, ("区域", "大区", "片区")),
        C("customer_id", Kind.id, ("会员编号", "会员卡号", "卡号", "客户编号", "会员ID", "买家会员名", "买家昵称")),
        C("member_level", Kind.text, ("会员等级", "会员级别")),
        C("status", Kind.vocab, ("订单状态", "交易状态", "状态"), vocab="order_status"),
        C("channel", Kind.text, ("渠道", "销售渠道", "订单来源")),
        C("agent_id", Kind.id, ("客服工号", "导购工号", "接待客服", "客服", "导购")),
        C("quantity", Kind.int, ("数量", "件数", "宝贝总数量", "购买数量")),
        # the cost of the goods sold (成本): inventory turnover's numerator (metrics: the stock source)
        C("cost", Kind.money, ("成本金额", "销售成本", "商品成本", "成本")),
    ),
    event="ordered_at",
    options=(Option("amount", ("gross", "net")),),
    # a file with a paid time and no status: an order never paid is unpaid (not a completed sale).
    # ``amount = "net"``: the file's amount is already net of refunds; the warehouse keeps gross
    # amounts (revenue = amount − refund everywhere), so the refund is added back here.
    defaults={"status": "coalesce(t.status, CASE WHEN {has.paid_at} AND NOT {has.status} AND t.paid_at IS NULL "
                        "THEN 'unpaid' ELSE 'completed' END)",
              "amount": "CASE WHEN {opt.amount} = 'net' THEN t.amount + coalesce(t.refund_amount, 0) "
                        "ELSE t.amount END",
              "refund_amount": "coalesce(t.refund_amount, 0)::DECIMAL(18, 2)"},
    checks=(Check("refund_amount > amount", "reject.refund_over_amount"),),
    tallies=(Tally("NOT {has.status} AND status = 'unpaid' AND paid_at IS NULL", "load.note.unpaid"),),
    inputs={"amount": Input.empty},
)

ROSTER = ExportSchema(
    kind="roster", key=("agent_id", "active_from"), columns=(
        C("agent_id", Kind.id, ("工号", "座席工号", "坐席工号", "客服工号"), required=True),
        C("agent_name", Kind.text, ("姓名", "客服姓名")),
        C("nickname", Kind.text, ("旺旺", "客服昵称", "昵称")),
        C("team", Kind.text, ("班组", "小组", "组别")),
        C("division", Kind.vocab, ("所属处", "业务类型", "售前售后"), vocab="division"),
        C("region", Kind.text, ("区域", "大区", "片区")),
        C("store", Kind.text, ("门店", "门店名称")),
        C("leader", Kind.text, ("组长",)),
        C("employment", Kind.vocab, ("用工性质", "员工类型"), vocab="employment"),
        C("active_from", Kind.date, ("入职日期", "生效日期", "开始日期")),
        C("active_to", Kind.date, ("离职日期", "失效日期", "结束日期")),
    ),
    defaults={"employment": "coalesce(t.employment, 'formal')"},
    checks=(Check("active_to < active_from", "reject.left_before_joined"),),
)

SCORECARD_INPUTS = ExportSchema(
    kind="scorecard_inputs", key=("month", "agent_id"), columns=(
        C("month", Kind.month, ("考核月份", "月份"), required=True),
        C("agent_id", Kind.id, ("工号", "客服工号", "座席工号"), required=True),
        C("qa_deductions", Kind.number, ("监听扣分",), max_value=100),
        C("discipline_deductions", Kind.number, ("纪律扣分",), max_value=100),
        C("exam_score", Kind.number, ("笔试分数", "笔试成绩"), max_value=100),
        C("attitude_grade", Kind.vocab, ("工作态度",), vocab="grade_ae"),
        C("late_reports", Kind.int, ("日志周报迟交次数",)),
        C("rule_violations", Kind.int, ("违规次数",)),
        C("teamwork_grade", Kind.vocab, ("团队协作",), vocab="grade_ae"),
        C("suggestions_adopted", Kind.int, ("建议采纳次数",)),
        C("complaints", Kind.int, ("客户投诉次数",)),
        C("red_line", Kind.text, ("红线事件",)),
        # per-item counts of the paper forms (表A监听 / 表B纪律); the totals above are the alternative
        C("qa_greeting", Kind.int, ("未使用标准接听语", "A2")),
        C("qa_agent_number", Kind.int, ("未报工号", "A3")),
        C("qa_closing", Kind.int, ("未使用标准结束语", "A4")),
        C("qa_wording", Kind.int, ("用语不佳", "A7")),
        C("qa_uncivil", Kind.int, ("不文明用语", "A8")),
        C("qa_off_topic", Kind.int, ("答非所问", "A9")),
        C("qa_notes_missing", Kind.int, ("未按要求记录", "未按要求记录条数", "A10")),
        C("qa_forced_hangup", Kind.int, ("强制挂断", "A11")),
        C("dis_late_early", Kind.int, ("迟到早退", "B1")),
        C("dis_proxy_clock", Kind.int, ("代打卡", "B2")),
        C("dis_absence", Kind.int, ("旷工", "未及时请假", "B3")),
        C("dis_duty_report", Kind.int, ("值班主管未及时上报", "B4")),
        C("dis_off_post", Kind.int, ("擅自离岗", "脱岗", "B5")),
        C("dis_leave_days", Kind.int, ("事假天数", "事假", "B6")),
        C("dis_games", Kind.int, ("玩游戏", "B7")),
        C("dis_chat", Kind.int, ("闲聊", "B8")),
        C("dis_websites", Kind.int, ("浏览无关网站", "B9")),
        C("dis_phone", Kind.int, ("手机未调振动", "手机未静音", "B10")),
        C("dis_smoking", Kind.int, ("吸烟", "抽烟", "B11")),
        C("dis_insubordination", Kind.int, ("不服从工作分配", "不服从管理", "B12")),
    ),
    roster_lookup=True,
    checks=(Check("agent_id IS NOT NULL AND agent_id NOT IN (SELECT agent_id FROM roster_ids)",
                  "reject.agent_not_in_roster", value="agent_id"),),
)

INSTALLER_SCORES = ExportSchema(
    kind="installer_scores", key=("month", "unit"), columns=(
        C("month", Kind.month, ("考核月份", "月份"), required=True),
        C("unit", Kind.text, ("装维单位", "装维网点", "单位", "网点"), required=True),
        C("score", Kind.number, ("得分", "总分", "考核得分"), max_value=100),
        C("timeliness", Kind.number, ("装移机及时率",), max_value=100),
        C("quality", Kind.number, ("维护质量",), max_value=100),
        C("service", Kind.number, ("客户服务",), max_value=100),
        C("room", Kind.number, ("机房管理",), max_value=100),
        C("note", Kind.text, ("备注",)),
    ))

# The complaint register (客户投诉登记表): one row per complaint, opinion or suggestion, and the stages of
# its loop (判定 valid, 方案 plan, 审批 approved_by, 解决 resolved_at, 回访 post_callback_at).  ``class``
# of the data contract is stored as ``complaint_class`` (a keyword of Python and of SQL).
COMPLAINTS = ExportSchema(
    kind="complaints", key=("complaint_id",), columns=(
        C("complaint_id", Kind.id, ("投诉编号", "投诉单号", "登记编号", "投诉ID", "工单编号"), required=True),
        C("received_at", Kind.timestamp, ("投诉时间", "受理时间", "登记时间", "来电时间", "投诉日期"), required=True),
        C("channel", Kind.vocab, ("投诉渠道", "来源", "渠道", "投诉来源"), vocab="channel"),
        C("line", Kind.text, ("投诉热线", "受理热线", "来电线路", "线路", "热线号码")),
        C("complaint_class", Kind.vocab, ("类型", "投诉类型", "类别", "意见类型"), vocab="complaint_class"),
        C("category", Kind.text, ("投诉分类", "问题分类", "业务类型", "投诉类别")),
        C("content", Kind.text, ("投诉内容", "问题描述", "内容", "投诉事由")),
        C("emotion", Kind.vocab, ("情绪", "客户情绪", "情绪判断"), vocab="emotion"),
        C("customer_id", Kind.id, ("客户编号", "会员编号", "客户ID")),
        C("customer_phone", Kind.id, ("联系电话", "客户电话", "客户号码", "投诉人电话")),
        C("store", Kind.text, ("门店", "门店名称", "网点", "营业厅")),
        C("region", Kind.text, ("区域", "大区", "片区")),
        C("team", Kind.text, ("班组", "小组", "组别")),
        C("agent_id", Kind.id, ("责任人工号", "客服工号", "被投诉工号", "座席工号")),
        C("unit", Kind.text, ("装维单位", "装维网点", "施工单位")),
        C("valid", Kind.bool, ("是否成立", "投诉是否成立", "判定结果")),
        C("responsible_department", Kind.text, ("责任部门", "责任单位")),
        C("verified", Kind.bool, ("核查属实", "是否属实", "核查结果")),
        C("plan", Kind.text, ("处理方案", "解决方案")),
        C("approved_by", Kind.text, ("审批人", "批示人", "审批领导")),
        C("resolved_at", Kind.timestamp, ("解决时间", "办结时间", "处理完成时间", "结案时间")),
        C("post_callback_at", Kind.timestamp, ("回访时间", "处理后回访时间")),
        C("post_satisfaction", Kind.vocab, ("回访满意度", "处理满意度", "满意度"), vocab="satisfaction"),
        C("ticket_id", Kind.id, ("关联工单", "工单号", "关联工单号")),
    ),
    event="received_at",
    defaults={"complaint_class": "coalesce(t.complaint_class, 'complaint')"},
    checks=(Check("resolved_at < received_at", "reject.resolved_before_received"),
            Check("post_callback_at < resolved_at", "reject.callback_before_resolved")),
    inputs={"received_at": Input.empty},
)

# Key customers (重点客户名单): every one is called back within days of a trigger (metrics/worklists.py).
# A small kind of its own rather than a flag on a customer list: the company has no customer master
# export, the CRM team keeps this list by hand, and it changes without any order or ticket changing.
KEY_CUSTOMERS = ExportSchema(
    kind="key_customers", key=("customer_id",), columns=(
        C("customer_id", Kind.id, ("客户编号", "会员编号", "客户ID", "会员卡号", "会员ID"), required=True),
        C("customer_name", Kind.text, ("客户名称", "客户姓名", "姓名", "单位名称")),
        C("level", Kind.text, ("客户等级", "重点级别", "级别", "客户级别")),
        C("since", Kind.date, ("认定日期", "生效日期", "加入日期")),
        C("owner", Kind.text, ("客户经理", "负责人", "维护人")),
    ))

# ------------------------------------------------------------------ store operations (门店运营)
# The store master (门店档案): the authority for a store's region, as the roster is for an agent's — the
# store-based rows (orders, audits, stock, receivables) take its region over their own column.
STORES = ExportSchema(
    kind="stores", key=("store",), columns=(
        C("store", Kind.text, ("门店", "门店名称", "店铺", "店铺名称", "网点", "营业厅"), required=True),
        C("store_code", Kind.id, ("门店编码", "门店编号", "店铺编码", "门店代码", "店号")),
        C("region", Kind.text, ("区域", "大区", "片区", "所属区域")),
        C("store_type", Kind.text, ("门店类型", "店铺类型", "业态", "门店业态", "店型")),
        C("size_class", Kind.text, ("规模等级", "门店规模", "规模", "面积等级", "店铺等级")),
        C("area_sqm", Kind.number, ("营业面积", "经营面积", "面积", "面积(m²)", "面积(平方米)", "面积(㎡)")),
        C("categories", Kind.text, ("经营品类", "主营品类", "品类")),
        C("manager", Kind.text, ("店长", "负责人", "门店负责人")),
        C("opened_on", Kind.date, ("开业日期", "开店日期", "开业时间")),
        C("closed_on", Kind.date, ("闭店日期", "关店日期", "停业日期", "闭店时间")),
    ),
    checks=(Check("closed_on < opened_on", "reject.closed_before_opened"),),
)

# Store business targets (门店经营目标分解): one row per month, store and KPI — stored as the targets of
# ``metrics/targets.py`` at the store level, in force for that month only.  The KPI is its id or its
# label (the ``kpi`` vocabulary, derived from the catalog); the target a number, a rate as 95% or 0.95.
STORE_TARGETS = ExportSchema(
    kind="store_targets", key=("month", "store", "kpi"), columns=(
        C("month", Kind.month, ("月份", "目标月份", "考核月份"), required=True),
        C("store", Kind.text, ("门店", "门店名称", "店铺", "店铺名称", "网点"), required=True),
        C("kpi", Kind.vocab, ("指标", "考核指标", "目标指标", "KPI"), required=True, vocab="kpi"),
        C("target", Kind.text, ("目标", "目标值", "月目标", "目标金额"), required=True),
        C("amber_band", Kind.text, ("黄色区间", "预警区间")),
    ),
    checks=(Check("TRY_CAST(replace(replace(replace(replace(target, '%', ''), ',', ''), '¥', ''), '￥', '') AS DOUBLE)"
                  " IS NULL", "reject.target_not_number", value="target"),
            Check("amber_band IS NOT NULL AND TRY_CAST(replace(amber_band, '%', '') AS DOUBLE) IS NULL",
                  "reject.target_not_number", value="amber_band")),
)

# Store audits (门店检查): the periodic category operating-standard check (品类标准), IGA five-star and
# QSC (品质 / 服务 / 清洁); a score out of 100 and, for QSC, its three sub-scores.
STORE_AUDITS = ExportSchema(
    kind="store_audits", key=("audit_id",), columns=(
        C("audit_id", Kind.id, ("检查编号", "检查单号", "评估编号", "稽核编号"), required=True),
        C("audited_at", Kind.timestamp, ("检查日期", "检查时间", "评估日期", "稽核日期"), required=True),
        C("store", Kind.text, ("门店", "门店名称", "店铺", "网点"), required=True),
        C("region", Kind.text, ("区域", "大区", "片区")),
        C("audit_type", Kind.vocab, ("检查类型", "评估类型", "检查项目", "稽核类型"), required=True, vocab="audit_type"),
        C("category", Kind.text, ("品类", "检查品类", "类别")),
        C("score", Kind.number, ("得分", "总分", "检查得分", "评分"), required=True, max_value=100),
        C("quality", Kind.number, ("品质", "品质得分", "Q"), max_value=100),
        C("service", Kind.number, ("服务", "服务得分", "S"), max_value=100),
        C("cleanliness", Kind.number, ("清洁", "清洁得分", "C"), max_value=100),
        C("auditor", Kind.text, ("检查人", "评估人", "稽核人")),
    ),
    event="audited_at",
)

# Inventory snapshots (库存快照): one row per date, store and SKU (or category); cost value in yuan.
INVENTORY_SNAPSHOTS = ExportSchema(
    kind="inventory_snapshots", key=("snapshot_at", "store", "item"), columns=(
        C("snapshot_at", Kind.timestamp, ("日期", "快照日期", "盘点日期", "库存日期", "统计日期"), required=True),
        C("store", Kind.text, ("门店", "门店名称", "店铺", "仓库", "网点"), required=True),
        C("region", Kind.text, ("区域", "大区", "片区")),
        C("item", Kind.id, ("商品编码", "SKU", "商品编号", "货号", "条码")),
        C("category", Kind.text, ("品类", "商品类别", "大类", "类别")),
        C("quantity", Kind.number, ("库存数量", "数量", "现存量", "结存数量")),
        C("cost_value", Kind.money, ("库存金额", "库存成本", "成本金额", "结存金额"), required=True),
        C("stock_out", Kind.bool, ("是否缺货", "缺货", "断货")),
    ),
    event="snapshot_at",
    # a snapshot by category (no SKU column) is keyed by its category
    defaults={"stock_out": "coalesce(t.stock_out, coalesce(t.quantity <= 0, false))",
              "item": "coalesce(t.item, t.category)"},
    checks=(Check("item IS NULL", "reject.no_item"),),
)

# Receivables (应收账款): one row per receivable raised on a date for a store or a merchant — the amount
# due and what has been collected of it so far (as of the export).
RECEIVABLES = ExportSchema(
    kind="receivables", key=("receivable_id",), columns=(
        C("receivable_id", Kind.id, ("单据编号", "应收单号", "账单编号", "结算单号"), required=True),
        C("raised_at", Kind.timestamp, ("日期", "单据日期", "账单日期", "结算日期", "开票日期"), required=True),
        C("store", Kind.text, ("门店", "门店名称", "店铺", "网点")),
        C("region", Kind.text, ("区域", "大区", "片区")),
        C("merchant", Kind.text, ("商户", "商户名称", "客户名称", "往来单位")),
        C("due", Kind.money, ("应收金额", "应收", "账单金额"), required=True),
        C("collected", Kind.money, ("已收金额", "实收", "回款金额", "已回款")),
        C("due_on", Kind.date, ("到期日", "应收日期", "账期到期日")),
    ),
    event="raised_at",
    defaults={"collected": "coalesce(t.collected, 0)::DECIMAL(18, 2)"},
    checks=(Check("collected > due", "reject.collected_over_due"),),
)

# Campaigns (促销活动): the windows promotion uplift compares with a baseline (metrics/stores.py).
CAMPAIGNS = ExportSchema(
    kind="campaigns", key=("campaign",), columns=(
        C("campaign", Kind.text, ("活动名称", "活动", "促销活动", "活动编号"), required=True),
        C("starts_on", Kind.date, ("开始日期", "活动开始", "起始日期"), required=True),
        C("ends_on", Kind.date, ("结束日期", "活动结束", "截止日期"), required=True),
        C("region", Kind.text, ("区域", "大区", "片区")),
        C("store", Kind.text, ("门店", "门店名称", "店铺")),
        C("note", Kind.text, ("说明", "备注", "活动内容")),
    ),
    checks=(Check("ends_on < starts_on", "reject.ends_before_starts"),),
)

# every export kind, in the order the import page and the CLI list them
SCHEMAS: dict[str, ExportSchema] = {s.kind: s for s in (TICKETS, CALLBACKS, SALES, ROSTER, SCORECARD_INPUTS,
                                                      INSTALLER_SCORES, COMPLAINTS, KEY_CUSTOMERS, STORES,
                                                      STORE_TARGETS, STORE_AUDITS, INVENTORY_SNAPSHOTS, RECEIVABLES,
                                                      CAMPAIGNS)}
# the kinds whose event days make up the months the dashboard offers
EVENT_KINDS = tuple(k for k, s in SCHEMAS.items() if s.event)
