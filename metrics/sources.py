"""The sources KPIs are counted over: one SQL row set each, with the same dimension columns.

Each source is built in three stages that the query builder (``metrics/query.py``) strings
together as CTEs:

``rows``    warehouse rows of the period with their dimensions resolved (month of the event's own
            timestamp; team and region from the roster row in force on the event's day, else the
            row's own columns);
``scoped``  ``rows`` with the viewer's scope and the sidebar filters applied (by the builder,
            always; a source cannot skip it);
``facts``   the columns the KPI declarations count over (``offered``, ``answered``, ``paid``…).

Everything here is dialect-neutral SQL that DuckDB and PostgreSQL both run, with settings as
bound parameters.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from metrics.months import month_end
from metrics.settings import Settings

# Dimensions a KPI can be grouped or filtered by (their labels: catalog texts ``dim.<key>``).
DIMENSIONS: tuple[str, ...] = ("month", "team", "region", "store", "division", "channel", "agent", "category",
                               "member_level", "department", "emotion", "unit")
HISTORY_START = datetime(1900, 1, 1)   # "all history": no loaded row is older (plausibility checks)
# the complaint register's own dimensions: responsible department, the customer's emotion, installer unit
COMPLAINT_ONLY = frozenset({"department", "emotion", "unit"})
TICKET_DIMS = frozenset(DIMENSIONS) - {"member_level"} - COMPLAINT_ONLY
SALES_DIMS = frozenset(DIMENSIONS) - {"category"} - COMPLAINT_ONLY
COMPLAINT_DIMS = frozenset(DIMENSIONS) - {"member_level"}
# complaints beside orders and contacts: the dimensions all three have
BASE_DIMS = frozenset({"month", "team", "region", "store", "division", "channel", "agent"})
# store operations (audits, stock, receivables): a store's own rows have no team, channel or agent; their
# rows carry those columns empty, so a viewer limited to teams, or a filter on them, sees none of them
STORE_DIMS = frozenset({"month", "region", "store"})
AUDIT_DIMS = STORE_DIMS | {"category"}
NO_ORG = ("CAST(NULL AS TEXT) AS team, CAST(NULL AS TEXT) AS division, CAST(NULL AS TEXT) AS channel, "
          "CAST(NULL AS TEXT) AS agent")

# The roster row in force on a day: active_from ≤ day ≤ active_to, and before the agent's next row.
ROSTER_PERIODS = """roster_periods AS (
    SELECT agent_id, team, region, store, division, active_from, active_to,
           LEAD(active_from) OVER (PARTITION BY agent_id ORDER BY active_from NULLS FIRST) AS next_from
    FROM roster)"""


def roster_join(alias: str, agent: str, day: str) -> str:
    return (f"LEFT JOIN roster_periods {alias} ON {alias}.agent_id = {agent}"
            f" AND ({alias}.active_from IS NULL OR {alias}.active_from <= {day})"
            f" AND ({alias}.active_to IS NULL OR {alias}.active_to >= {day})"
            f" AND ({alias}.next_from IS NULL OR {day} < {alias}.next_from)")


def month_of(ts: str) -> str:
    return f"CAST(date_trunc('month', {ts}) AS DATE)"


def days_in_month(ts: str) -> str:
    return f"EXTRACT(DAY FROM date_trunc('month', {ts}) + INTERVAL '1 month' - INTERVAL '1 day')"


def store_master(store: str, alias: str = "sm") -> str:
    """The store master row of a store: the authority for its region (``COALESCE({alias}.region, …)``)."""
    return f"LEFT JOIN stores {alias} ON {alias}.store = {store}"


def ticket_dims(t: str = "t", r: str = "r") -> str:
    """Dimension columns of a ticket ``t`` joined to its agent's roster row ``r``."""
    return (f"COALESCE({r}.team, {t}.team) AS team, COALESCE({r}.region, {t}.region) AS region, "
            f"COALESCE({t}.store, {r}.store) AS store, COALESCE({t}.division, {r}.division) AS division, "
            f"{t}.channel AS channel, {t}.agent_id AS agent, {t}.category AS category")


def sla_case(settings: Settings, column: str, params: dict) -> str:
    """Hours allowed for a ticket's category: the longest matching category prefix, else ``*``."""
    rules = sorted(((c, h) for c, h in settings.sla_hours if c != "*"), key=lambda ch: -len(ch[0]))
    default = dict(settings.sla_hours)["*"]
    params["sla_default"] = float(default)
    whens = []
    for i, (category, hours) in enumerate(rules):
        like = category.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
        params.update({f"sla_c{i}": category, f"sla_l{i}": like, f"sla_h{i}": float(hours)})
        whens.append(f"WHEN {column} = :sla_c{i} OR {column} LIKE :sla_l{i} ESCAPE '\\' THEN :sla_h{i}")
    return f"CASE {' '.join(whens)} ELSE :sla_default END" if whens else ":sla_default"


@dataclass(frozen=True)
class Request:
    """What the builder hands a source: the settings and the period."""
    settings: Settings
    dims: tuple[str, ...]
    params: dict                      # bound parameters so far (:start, :end, month list…); add yours


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    dims: frozenset[str]
    rows: Callable[[Request], str]
    facts: Callable[[Request], str] = lambda req: "SELECT * FROM scoped"
    kinds: tuple[str, ...] = ()       # export kinds whose loaded event days make this source's month complete
    # what its roll-up stores (metrics/rollups.py): "sums" per group, or its "rows" (already summed per
    # customer) when its facts are not additive over groups
    rollup: str = "sums"
    # rows in months without any event of its kinds (the backlog: tickets still open at each month's
    # end): its roll-ups are built for every month, not only those with data
    every_month: bool = False
    # "none": not rolled up (a lookup such as the store master, read through the builder for its scope)
    rows_of: str | None = None   # a "rows" source reading another source's rows roll-up (the same rows SQL)


# ------------------------------------------------------------------------- tickets (calls, contacts)
def _ticket_rows(req: Request) -> str:
    return f"""SELECT {month_of('t.created_at')} AS month, {ticket_dims()}, t.created_at,
        {cols("t", "ticket_id", "agent_name", "customer_id", "customer_phone", "direction", "call_result", "status")},
        {cols("t", "queue_seconds", "ring_seconds", "ring_count")},
        {cols("t", "hold_seconds", "hold_count", "talk_seconds", "first_contact_resolved", "is_complaint")}
    FROM tickets t {roster_join('r', 't.agent_id', 'CAST(t.created_at AS DATE)')}
    WHERE t.created_at >= :start AND t.created_at < :end"""


def cols(alias: str, *names: str) -> str:
    """``alias.name AS name, …``: columns of a joined table named outright (ClickHouse names an unaliased
    ``t.x`` of a join whose other side also has ``x`` as "t.x", and the outer queries ask for ``x``)."""
    return ", ".join(f"{alias}.{n} AS {n}" for n in names)


def _ticket_facts(req: Request) -> str:
    req.params.update(ring_cycle=float(req.settings.ring_cycle_seconds), answer_rings=int(req.settings.answer_rings),
                      short_abandon_rings=int(req.settings.short_abandon_rings),
                      voicemail_as_missed=bool(req.settings.voicemail_as_missed))
    base = {"exclude_short": "offered AND NOT short_abandon", "count_all": "offered",
            "ignore": "answered"}[req.settings.abandon_treatment]
    return f"""SELECT f.*, {base} AS sl_base FROM (
        SELECT c.*, offered AND call_result = 'answered' AS answered,
               offered AND call_result IN ('missed', 'voicemail') AS missed,
               offered AND call_result IN ('missed', 'voicemail') AND COALESCE(rings <= :short_abandon_rings, FALSE)
                   AS short_abandon,
               CASE WHEN queue_seconds IS NOT NULL AND ring_seconds IS NOT NULL THEN queue_seconds + ring_seconds
                    WHEN ring_seconds IS NOT NULL THEN ring_seconds
                    WHEN rings IS NOT NULL THEN rings * :ring_cycle
                    ELSE queue_seconds END AS wait_seconds
        FROM (
            SELECT s.*,
                   COALESCE(channel = 'phone' AND direction = 'in' AND call_result IS NOT NULL
                            AND call_result <> 'not_offered'
                            AND (call_result <> 'voicemail' OR :voicemail_as_missed), FALSE) AS offered,
                   COALESCE(CAST(ring_count AS DOUBLE PRECISION), CEIL(ring_seconds / :ring_cycle)) AS rings,
                   COALESCE(status IN ('resolved', 'closed'), FALSE) AS done
            FROM scoped s) c) f"""


# ------------------------------------------------------------------- resolutions (month of resolved_at)
def _resolved_rows(req: Request) -> str:
    sla = sla_case(req.settings, "t.category", req.params)
    return f"""SELECT {month_of('t.resolved_at')} AS month, {ticket_dims()},
        {cols("t", "ticket_id", "created_at", "resolved_at", "status", "customer_id", "customer_phone")},
        (EXTRACT(EPOCH FROM t.resolved_at) - EXTRACT(EPOCH FROM t.created_at)) / 3600.0 AS resolution_hours,
        {sla} AS sla_hours,
        CAST(t.resolved_at AS DATE) AS resolved_day,
        cb.first_callback_at IS NOT NULL AS has_callback,
        CAST(cb.first_callback_at AS DATE) AS first_callback_day
    FROM tickets t {roster_join('r', 't.agent_id', 'CAST(t.created_at AS DATE)')}
    LEFT JOIN (SELECT ticket_id, MIN(callback_at) AS first_callback_at FROM callbacks
               WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE resolved_at >= :start AND resolved_at < :end)
               GROUP BY ticket_id) cb
           ON cb.ticket_id = t.ticket_id
    WHERE t.resolved_at >= :start AND t.resolved_at < :end AND COALESCE(t.status, 'resolved') <> 'open'"""


def _resolved_facts(req: Request) -> str:
    return "SELECT s.*, COALESCE(division = 'aftersales', FALSE) AS aftersales FROM scoped s"


# --------------------------------------------------------------------- backlog (open at month end)
def _backlog_rows(req: Request) -> str:
    months = req.params["months"]
    values = ", ".join(f"(CAST(:bm{i} AS DATE), CAST(:be{i} AS TIMESTAMP))" for i in range(len(months)))

    for i, m in enumerate(months):
        req.params[f"bm{i}"], req.params[f"be{i}"] = m, month_end(m)
    # a row with no status is a call record, not a ticket: it is never "open"
    return f"""SELECT m.month AS month, {ticket_dims()}, t.ticket_id AS ticket_id, t.created_at AS created_at,
        {cols("t", "status", "resolved_at")}
    FROM (SELECT * FROM tickets WHERE status IS NOT NULL AND created_at < :end
                                  AND (status = 'open' OR resolved_at IS NULL OR resolved_at >= :start)) t
    JOIN (VALUES {values}) AS m(month, month_end)
      ON t.created_at < m.month_end
     AND NOT (t.status IN ('resolved', 'closed') AND (t.resolved_at IS NULL OR t.resolved_at < m.month_end))
    {roster_join('r', 't.agent_id', 'CAST(t.created_at AS DATE)')}"""


# ------------------------------------------------------------------------------ callbacks
def _callback_rows(req: Request) -> str:
    return f"""SELECT {month_of('c.callback_at')} AS month, {ticket_dims()},
        {cols("c", "callback_id", "ticket_id", "callback_at", "result")},
        c.satisfaction AS satisfaction, c.comment AS comment, t.customer_phone AS customer_phone,
        CASE c.satisfaction WHEN 'A' THEN 5 WHEN 'B' THEN 3 WHEN 'C' THEN 0 WHEN 'D' THEN -5 END AS points
    FROM callbacks c
    LEFT JOIN tickets t ON t.ticket_id = c.ticket_id
    {roster_join('r', 't.agent_id', 'CAST(t.created_at AS DATE)')}
    WHERE c.callback_at >= :start AND c.callback_at < :end"""


# ------------------------------------------------------------------------------ sales and buyers
def _sales_dims() -> str:
    return ("r.team AS team, COALESCE(sm.region, s.region, r.region) AS region, "
            "COALESCE(s.store, r.store) AS store, r.division AS division, s.channel AS channel, "
            "s.agent_id AS agent, s.member_level AS member_level")


def _sales_rows(req: Request) -> str:
    return f"""SELECT {month_of('s.ordered_at')} AS month, {_sales_dims()},
        {cols("s", "order_id", "status", "customer_id", "ordered_at", "paid_at", "amount")},
        COALESCE(s.status IN ('paid', 'completed'), FALSE) AS paid,
        s.amount - COALESCE(s.refund_amount, 0) AS net_amount,
        COALESCE(s.refund_amount, 0) AS refund_amount
    FROM sales s {roster_join('r', 's.agent_id', 'CAST(s.ordered_at AS DATE)')}
    {store_master('COALESCE(s.store, r.store)')}
    WHERE s.ordered_at >= :start AND s.ordered_at < :end"""


def _buyer_rows(req: Request) -> str:
    """Paid orders per customer, month and group: all history up to the period's end (a buyer is
    "returning" when they bought before the period).  Already summed per customer, so that the
    roll-up of this source is these rows themselves (``rows_from`` is then the month's start)."""
    req.params.setdefault("rows_from", HISTORY_START)
    group = "month, team, region, store, division, channel, agent, member_level, customer_id"
    return f"""SELECT {group}, COUNT(*) AS orders, SUM(net_amount) AS revenue, MIN(ordered_at) AS first_at,
            MAX(ordered_at) AS last_at, MIN(CASE WHEN nth = 2 THEN ordered_at END) AS second_at
        FROM (SELECT b.*, ROW_NUMBER() OVER (PARTITION BY {group} ORDER BY ordered_at, order_id) AS nth
              FROM (SELECT {month_of('s.ordered_at')} AS month, {_sales_dims()}, {cols("s", "customer_id", "ordered_at")},
                           s.order_id AS order_id, s.amount - COALESCE(s.refund_amount, 0) AS net_amount
                    FROM sales s {roster_join('r', 's.agent_id', 'CAST(s.ordered_at AS DATE)')}
                    {store_master('COALESCE(s.store, r.store)')}
                    WHERE s.ordered_at >= :rows_from AND s.ordered_at < :end AND s.status IN ('paid', 'completed')
                      AND s.customer_id IS NOT NULL) b) numbered
        GROUP BY {group}"""


def _buyer_facts(req: Request) -> str:
    """One row per buyer and group: paid orders and revenue in the period, returning or not.
    "Returning" = an earlier paid order within the scope, the filters *and the group*: a table by
    region shows for each region what that region's manager sees."""
    dims = ", ".join(f"s.{d}" for d in req.dims)
    period_start = "s.month" if "month" in req.dims else ":start"
    group = f"{dims}, s.customer_id" if dims else "s.customer_id"
    select_dims = f"{dims}, " if dims else ""
    history = [d for d in req.dims if d != "month"]
    firsts = ", ".join([*history, "customer_id"])
    join = " AND ".join([f"f.{d} IS NOT DISTINCT FROM s.{d}" for d in history] + ["f.customer_id = s.customer_id"])
    in_period = f"month >= :start{' AND month IN :month_list' if 'month_list' in req.params else ''}"
    # first purchases of the period's buyers only: the history of every customer ever is not needed
    # (a hash of 1.5 M customers was 2.1 s of the sales page at 10 M orders; 0.9 s this way)
    return f"""SELECT {select_dims}s.customer_id, SUM(s.orders) AS paid_orders, SUM(s.revenue) AS revenue,
               MIN(f.first_at) < {period_start} AS is_returning, MAX(s.last_at) AS last_at
        FROM scoped s
        JOIN (SELECT {firsts}, MIN(first_at) AS first_at FROM scoped
              WHERE customer_id IN (SELECT customer_id FROM scoped WHERE {in_period})
              GROUP BY {firsts}) f ON {join}
        WHERE s.{in_period}
        GROUP BY {group}"""


def _purchase_rows(req: Request) -> str:
    """The buyers' rows of the period only (no history before it)."""
    req.params["rows_from"] = req.params["start"]
    return _buyer_rows(req)


def _purchase_facts(req: Request) -> str:
    """Per month of the period, group and customer: paid orders, revenue, first / second / last order
    that month — no judgement against the customer's history, so a question about the period's
    purchases alone (RFM, the 80/20 curve, member levels, the lists' 12 months) reads only its months."""
    only = " AND month IN :month_list" if "month_list" in req.params else ""
    return f"SELECT * FROM scoped WHERE month >= :start{only}"


def _customer_facts(req: Request) -> str:
    """One row per month of the period, group and customer known by then (a paid order in the group up
    to the month's end): was a buyer the month before, bought this month; a new customer whose
    ``returning_days`` after the first order end this month (``new_due``: counted in the month its
    window closes, so every figure needs no data after its month) and who bought again within them;
    the last order before the month's start and before its end (dormant after ``dormant_days``
    without one, churned after ``churn_days``).  All judged within the
    scope, the filters and the group, like "returning" (a customer of two stores is each store's).  A
    period of several months sums its months: each month against the one before it."""
    s = req.settings
    req.params.update(returning_days=int(s.returning_days), dormant_days=int(s.dormant_days),
                      churn_days=int(s.churn_days))
    months = req.params["months"]
    for i, m in enumerate(months):
        req.params[f"cm{i}"] = m
    # the months as a table: a UNION of one-row SELECTs (ClickHouse has no VALUES with column names)
    values = " UNION ALL ".join(f"SELECT CAST(:cm{i} AS DATE) AS month" for i in range(len(months)))
    history = [d for d in req.dims if d != "month"]
    part = ", ".join([*history, "customer_id"])
    keys = ", ".join([*(f"h.{d}" for d in history), "h.customer_id"])
    select_keys = "".join(f"h.{d}, " for d in history)
    # (the months are those of VALUES already; the builder's list of non-contiguous months is bound too)
    only = " AND m.month IN :month_list" if "month_list" in req.params else ""
    return f"""SELECT c.*,
            COALESCE(first_ever + CAST(:returning_days AS INTEGER) * INTERVAL '1 day' >= month
                     AND first_ever + CAST(:returning_days AS INTEGER) * INTERVAL '1 day' < month_end
                     AND second_ever <= first_ever + CAST(:returning_days AS INTEGER) * INTERVAL '1 day',
                     FALSE) AS new_returned,
            COALESCE(first_ever + CAST(:returning_days AS INTEGER) * INTERVAL '1 day' >= month
                     AND first_ever + CAST(:returning_days AS INTEGER) * INTERVAL '1 day' < month_end,
                     FALSE) AS new_due,
            COALESCE(last_by_end < month_end - CAST(:dormant_days AS INTEGER) * INTERVAL '1 day'
                     AND last_by_end >= month_end - CAST(:churn_days AS INTEGER) * INTERVAL '1 day', FALSE) AS dormant,
            COALESCE(last_by_end < month_end - CAST(:churn_days AS INTEGER) * INTERVAL '1 day', FALSE) AS churned,
            COALESCE(last_before < month - CAST(:dormant_days AS INTEGER) * INTERVAL '1 day'
                     AND last_before >= month - CAST(:churn_days AS INTEGER) * INTERVAL '1 day', FALSE) AS dormant_before,
            COALESCE(last_before < month - CAST(:churn_days AS INTEGER) * INTERVAL '1 day', FALSE) AS churned_before
        FROM (
            SELECT m.month AS month, CAST(m.month + INTERVAL '1 month' AS TIMESTAMP) AS month_end, {select_keys}h.customer_id,
                   MIN(h.first_ever) AS first_ever,
                   MIN(CASE WHEN h.first_at > h.first_ever THEN h.first_at END) AS next_first,
                   MIN(CASE WHEN h.first_at = h.first_ever THEN h.second_at END) AS first_second,
                   MAX(CASE WHEN h.month < m.month THEN h.last_at END) AS last_before,
                   MAX(h.last_at) AS last_by_end,
                   MAX(CASE WHEN h.month = m.month THEN 1 ELSE 0 END) AS bought,
                   MAX(CASE WHEN h.month = CAST(m.month - INTERVAL '1 month' AS DATE) THEN 1 ELSE 0 END) AS bought_before,
                   CASE WHEN MIN(CASE WHEN h.first_at = h.first_ever THEN h.second_at END) IS NULL
                          OR MIN(CASE WHEN h.first_at > h.first_ever THEN h.first_at END)
                             < MIN(CASE WHEN h.first_at = h.first_ever THEN h.second_at END)
                        THEN MIN(CASE WHEN h.first_at > h.first_ever THEN h.first_at END)
                        ELSE MIN(CASE WHEN h.first_at = h.first_ever THEN h.second_at END) END AS second_ever
            FROM (SELECT s.*, MIN(s.first_at) OVER (PARTITION BY {part}) AS first_ever FROM scoped s) h
            CROSS JOIN ({values}) m
            WHERE h.month <= m.month{only}
            GROUP BY m.month, {keys}) c"""


# ------------------------------------------------------------------------------ inquiry conversion
def _inquiry_rows(req: Request) -> str:
    # the first pre-sales ticket of each customer and month, chosen before the scope is applied:
    # a customer is credited once, to that ticket's agent/team/store, whoever is looking
    return f"""SELECT * FROM (
        SELECT {month_of('t.created_at')} AS month, {ticket_dims()}, t.ticket_id, t.customer_id, t.created_at,
               ROW_NUMBER() OVER (PARTITION BY {month_of('t.created_at')}, t.customer_id
                                  ORDER BY t.created_at, t.ticket_id) AS nth
        FROM tickets t {roster_join('r', 't.agent_id', 'CAST(t.created_at AS DATE)')}
        WHERE t.created_at >= :start AND t.created_at < :end AND t.customer_id IS NOT NULL
          AND COALESCE(t.division, r.division) = 'presales') first_inquiry
    WHERE nth = 1"""


def _inquiry_facts(req: Request) -> str:
    req.params["window_end_days"] = req.settings.window_days + 1
    return """SELECT s.*, EXISTS (
            SELECT 1 FROM sales p
            WHERE p.customer_id = s.customer_id AND p.status IN ('paid', 'completed')
              AND COALESCE(p.paid_at, p.ordered_at) >= s.created_at
              AND COALESCE(p.paid_at, p.ordered_at) < CAST(s.created_at AS DATE) + CAST(:window_end_days AS INTEGER)
        ) AS converted
        FROM scoped s"""


# ------------------------------------------------------------------------------ complaint register
def _complaint_dims(c: str = "c", r: str = "r") -> str:
    """A complaint's dimensions: its agent's roster row on the day received, else its own columns."""
    return (f"COALESCE({r}.team, {c}.team) AS team, COALESCE({r}.region, {c}.region) AS region, "
            f"COALESCE({c}.store, {r}.store) AS store, {r}.division AS division, {c}.channel AS channel, "
            f"{c}.agent_id AS agent")


def _complaint_rows(req: Request) -> str:
    return f"""SELECT {month_of('c.received_at')} AS month, {_complaint_dims()}, c.category AS category,
        c.responsible_department AS department, c.emotion AS emotion, c.unit AS unit,
        {cols("c", "complaint_id", "received_at", "complaint_class", "line", "content", "customer_id")},
        {cols("c", "customer_phone")},
        {cols("c", "valid", "verified", "plan", "approved_by", "resolved_at", "post_callback_at", "post_satisfaction")},
        c.ticket_id AS ticket_id,
        (EXTRACT(EPOCH FROM c.resolved_at) - EXTRACT(EPOCH FROM c.received_at)) / 3600.0 AS result_hours,
        COALESCE(c.post_callback_at IS NOT NULL OR c.post_satisfaction IS NOT NULL, FALSE) AS called_back
    FROM complaints c {roster_join('r', 'c.agent_id', 'CAST(c.received_at AS DATE)')}
    WHERE c.received_at >= :start AND c.received_at < :end"""


def _complaint_facts(req: Request) -> str:
    req.params["complaint_resolve_hours"] = float(req.settings.complaint_resolve_hours)
    return "SELECT * FROM scoped"


def _complaint_base_rows(req: Request) -> str:
    """Complaints, paid orders and contacts side by side on their shared dimensions: the complaint
    rates per order and per contact are Σ over one row set, like every other rate."""
    return f"""SELECT {month_of('c.received_at')} AS month, {_complaint_dims()},
            CASE WHEN c.complaint_class = 'complaint' THEN 1 ELSE 0 END AS complaint, 0 AS paid_order, 0 AS contact,
            0 AS revenue_10k
        FROM complaints c {roster_join('r', 'c.agent_id', 'CAST(c.received_at AS DATE)')}
        WHERE c.received_at >= :start AND c.received_at < :end
        UNION ALL
        SELECT {month_of('s.ordered_at')} AS month, r.team AS team, COALESCE(sm.region, s.region, r.region) AS region,
            COALESCE(s.store, r.store) AS store, r.division AS division, s.channel AS channel, s.agent_id AS agent,
            0, CASE WHEN s.status IN ('paid', 'completed') THEN 1 ELSE 0 END, 0,
            CASE WHEN s.status IN ('paid', 'completed') THEN (s.amount - COALESCE(s.refund_amount, 0)) / 10000.0
                 ELSE 0 END
        FROM sales s {roster_join('r', 's.agent_id', 'CAST(s.ordered_at AS DATE)')}
        {store_master('COALESCE(s.store, r.store)')}
        WHERE s.ordered_at >= :start AND s.ordered_at < :end
        UNION ALL
        SELECT {month_of('t.created_at')} AS month, COALESCE(r.team, t.team) AS team,
            COALESCE(r.region, t.region) AS region, COALESCE(t.store, r.store) AS store,
            COALESCE(t.division, r.division) AS division, t.channel AS channel, t.agent_id AS agent, 0, 0, 1, 0
        FROM tickets t {roster_join('r', 't.agent_id', 'CAST(t.created_at AS DATE)')}
        WHERE t.created_at >= :start AND t.created_at < :end"""


# ------------------------------------------------------------------------------ store operations
def _audit_rows(req: Request) -> str:
    return f"""SELECT {month_of('a.audited_at')} AS month, COALESCE(sm.region, a.region) AS region, a.store AS store,
        a.category AS category, {NO_ORG},
        {cols("a", "audit_id", "audited_at", "audit_type", "score", "quality", "service")},
        {cols("a", "cleanliness", "auditor")}
    FROM store_audits a {store_master('a.store')}
    WHERE a.audited_at >= :start AND a.audited_at < :end"""


def _stock_rows(req: Request) -> str:
    """Inventory snapshots beside the cost of paid orders, per store and month.  A snapshot row's share
    of its store's *average inventory* that month is its value ÷ the number of days the store was
    snapshotted that month (daily, weekly or month-end snapshots alike); times the month's days, its
    inventory-days.  So Σ cogs ÷ Σ average inventory is the month's turnover and Σ inventory-days ÷ Σ
    cogs its days of inventory, for a store, a region or the chain, and every row counts once.  The two
    halves leave each other's columns empty (not 0): without orders carrying a cost, or without
    snapshots, the turnover is empty ("—"), never 0."""
    return f"""SELECT {month_of('i.snapshot_at')} AS month, COALESCE(sm.region, i.region) AS region, i.store AS store,
            {NO_ORG},
            CAST(i.cost_value AS DOUBLE PRECISION) / n.dates AS avg_inventory,
            CAST(i.cost_value AS DOUBLE PRECISION) * {days_in_month('i.snapshot_at')} / n.dates AS inventory_days,
            1 AS sku_days, CASE WHEN i.stock_out THEN 1 ELSE 0 END AS out_days, CAST(NULL AS DOUBLE PRECISION) AS cogs
        FROM inventory_snapshots i {store_master('i.store')}
        JOIN (SELECT store, {month_of('snapshot_at')} AS month, COUNT(DISTINCT CAST(snapshot_at AS DATE)) AS dates
              FROM inventory_snapshots WHERE snapshot_at >= :start AND snapshot_at < :end
              GROUP BY store, {month_of('snapshot_at')}) n
          ON n.store = i.store AND n.month = {month_of('i.snapshot_at')}
        WHERE i.snapshot_at >= :start AND i.snapshot_at < :end
        UNION ALL
        SELECT {month_of('s.ordered_at')} AS month, COALESCE(sm.region, s.region, r.region) AS region,
            COALESCE(s.store, r.store) AS store, {NO_ORG}, NULL, NULL, NULL, NULL, CAST(s.cost AS DOUBLE PRECISION)
        FROM sales s {roster_join('r', 's.agent_id', 'CAST(s.ordered_at AS DATE)')}
        {store_master('COALESCE(s.store, r.store)')}
        WHERE s.ordered_at >= :start AND s.ordered_at < :end AND s.status IN ('paid', 'completed')
          AND s.cost IS NOT NULL"""


def _receivable_rows(req: Request) -> str:
    """Receivables raised in the month; outstanding = due − collected as of the export.  Days sales
    outstanding = outstanding × the month's days ÷ due (Σ over rows, so it sums over stores)."""
    return f"""SELECT {month_of('v.raised_at')} AS month, COALESCE(sm.region, v.region) AS region, v.store AS store,
            {NO_ORG}, v.receivable_id, v.merchant, v.raised_at, v.due_on,
            CAST(v.due AS DOUBLE PRECISION) AS due, CAST(v.collected AS DOUBLE PRECISION) AS collected,
            CAST(v.due - v.collected AS DOUBLE PRECISION) AS outstanding,
            CAST(v.due - v.collected AS DOUBLE PRECISION) * {days_in_month('v.raised_at')} AS outstanding_days
        FROM receivables v {store_master('v.store')}
        WHERE v.raised_at >= :start AND v.raised_at < :end"""


def _month_values(req: Request) -> str:
    """``(VALUES (month), …)`` of the period's months as bound parameters (``bm0``…, as the backlog's:
    a roll-up binds its own month there)."""
    months = req.params["months"]
    for i, m in enumerate(months):
        req.params[f"bm{i}"] = m
    return ", ".join(f"(CAST(:bm{i} AS DATE))" for i in range(len(months)))


def _store_day_rows(req: Request) -> str:
    """Each store of the master: its open days in each month (opened_on … closed_on, a store opening on
    the 15th of a 31-day month has 17) and its area for those days; beside the revenue of paid orders of
    the stores in the master (a store not in the master has no open days, so its sales are left out of
    both sides rather than inflating one).  Only months with orders loaded: a month without sales data
    has no figure, not a figure of 0."""
    values = _month_values(req)
    # the open part of the month, [lo, hi]: both ends inside the month when it is not empty, so its
    # length is a difference of days of the month (no date subtraction: ClickHouse has none)
    lo = "GREATEST(m.month, COALESCE(st.opened_on, m.month))"
    hi = "LEAST(m.last_day, COALESCE(st.closed_on, m.last_day))"
    span = f"(EXTRACT(DAY FROM {hi}) - EXTRACT(DAY FROM {lo}) + 1)"
    return f"""SELECT m.month AS month, st.region AS region, st.store AS store, {NO_ORG},
            CASE WHEN {hi} >= {lo} THEN {span} ELSE 0 END AS open_days,
            CASE WHEN {hi} >= {lo} THEN st.area_sqm * {span} / EXTRACT(DAY FROM m.last_day) END AS area_months,
            CAST(NULL AS DOUBLE PRECISION) AS revenue
        FROM stores st CROSS JOIN (SELECT month, CAST(month + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS last_day
                                   FROM (VALUES {values}) AS v(month)) m
        WHERE EXISTS (SELECT 1 FROM sales x WHERE x.ordered_at >= m.month
                                              AND x.ordered_at < m.month + INTERVAL '1 month')
        UNION ALL
        SELECT {month_of('s.ordered_at')} AS month, st.region AS region, st.store AS store, {NO_ORG}, NULL, NULL,
            CAST(s.amount - COALESCE(s.refund_amount, 0) AS DOUBLE PRECISION)
        FROM sales s {roster_join('r', 's.agent_id', 'CAST(s.ordered_at AS DATE)')}
        JOIN stores st ON st.store = COALESCE(s.store, r.store)
        WHERE s.ordered_at >= :start AND s.ordered_at < :end AND s.status IN ('paid', 'completed')"""


def _store_master_rows(req: Request) -> str:
    """The store master itself (type, size class, area, dates) for the store pages' peers and league:
    read through the builder so that the viewer's scope applies to it like to any figure."""
    return f"""SELECT CAST(NULL AS DATE) AS month, region, store, {NO_ORG}, store_code, store_type, size_class,
            area_sqm, manager, opened_on, closed_on
        FROM stores"""


SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("tickets", "通话与工单", TICKET_DIMS, _ticket_rows, _ticket_facts, ("tickets",)),
    Source("resolved", "已解决工单", TICKET_DIMS, _resolved_rows, _resolved_facts, ("tickets",)),
    Source("backlog", "未结工单", TICKET_DIMS, _backlog_rows, kinds=("tickets",), every_month=True),
    Source("callbacks", "回访", TICKET_DIMS, _callback_rows, kinds=("callbacks",)),
    Source("sales", "订单", SALES_DIMS, _sales_rows, kinds=("sales",)),
    Source("buyers", "购买客户", SALES_DIMS, _buyer_rows, _buyer_facts, ("sales",), rollup="rows"),
    # customers over their history (retention, new → returning, dormant, churned): the buyers' rows
    Source("customers", "客户", SALES_DIMS, _buyer_rows, _customer_facts, ("sales",), rollup="rows",
           rows_of="buyers"),
    # the period's purchases per customer, without their history (RFM, 80/20, levels, lists)
    Source("purchases", "客户购买", SALES_DIMS, _purchase_rows, _purchase_facts, ("sales",), rollup="rows",
           rows_of="buyers"),
    # a conversion needs its inquiry (tickets) and the window's payments (sales)
    Source("inquiries", "询单客户", TICKET_DIMS, _inquiry_rows, _inquiry_facts, ("tickets", "sales")),
    Source("complaints", "投诉登记", COMPLAINT_DIMS, _complaint_rows, _complaint_facts, ("complaints",)),
    Source("complaint_base", "投诉与订单、咨询", BASE_DIMS, _complaint_base_rows, kinds=("complaints",)),
    Source("audits", "门店检查", AUDIT_DIMS, _audit_rows, kinds=("store_audits",)),
    Source("stock", "库存与销售成本", STORE_DIMS, _stock_rows, kinds=("inventory_snapshots",)),
    Source("receivables", "应收账款", STORE_DIMS, _receivable_rows, kinds=("receivables",)),
    Source("store_days", "门店营业天数与销售", STORE_DIMS, _store_day_rows, kinds=("sales",)),
    # not a KPI source: no roll-up; its rows are the master's, whatever the months
    Source("store_master", "门店档案", frozenset({"region", "store"}), _store_master_rows, rollup="none"),
)}
