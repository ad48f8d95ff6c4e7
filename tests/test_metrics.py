"""Every KPI against figures counted by hand from tests/fixtures/metrics (see its README), on
DuckDB and on PostgreSQL.

Settings in force unless a test says otherwise: ring cycle 5 s, 3 rings, short abandon ≤ 1 ring,
voicemail counted as missed, short abandons out of the service-level denominator, SLA 24 h,
conversion window next_day.  Rings of each October call, from 响铃次数 or ⌈振铃秒数 / 5⌉:
C01 8 s→2, C02 20 s→4, C03 3 (count), C04 4 s→1, C05 30 s→6, C07 10 s→2, C10 0, D01 10 s→2,
D02 0, E02 5 s→1, F01 5 s→1.
"""
import math

import pytest

from conftest import FIXTURES, shared_warehouse
from loaders import load_file
from metrics import Filters, MetricError, Scope, compute, rollups
from metrics.settings import DEFAULTS, with_overrides

M = FIXTURES / "metrics"


def load_metric_fixtures(wh):
    """The metric fixtures through the real loaders, the roll-ups built first so that every load keeps
    them current: the hand counts below are read from the roll-ups wherever one answers exactly (and
    from the facts under overridden settings)."""
    rollups.build(wh)
    for kind in ("roster", "tickets", "callbacks", "sales", "complaints", "stores", "store_targets", "store_audits",
                 "inventory_snapshots", "receivables"):
        report = load_file(wh, kind, M / f"{kind}.csv")
        assert report.rows_rejected == 0, kind
    assert rollups.is_current(wh)


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def mwh(request, tmp_path_factory):
    """The metric fixture warehouse, loaded once per backend with the real loaders (read-only)."""
    def load(wh):
        load_metric_fixtures(wh)

    wh = shared_warehouse(request, tmp_path_factory, load)
    yield wh
    wh.dispose()


def figures(wh, month="2026-10", dims=(), kpis=None, **kw):
    """{(dim values…, kpi): (value, numerator, denominator)}"""
    df = compute(wh, kpis, months=[month] if isinstance(month, str) else month, dims=dims,
                 scope=kw.pop("scope", Scope.all()), **kw)
    out = {}
    for row in df.itertuples(index=False):
        key = tuple(getattr(row, d) for d in dims) + (row.kpi,)
        out[key] = (row.value, row.numerator, row.denominator)
    return out


def approx(value):
    return pytest.approx(value, rel=1e-9, abs=1e-9, nan_ok=True)


# (kpi, value, numerator, denominator) for October 2026, all rows.
OCTOBER = [
    # 21 rows created in October: C01–C10, C13, D01, D02, E02, F01, Q01–Q06 (C11 is 11-01 00:00:00)
    ("contacts", 21, 21, None),
    # phone + in + result offered: C01–C05, C07, C10, D01, D02, E02, F01 (C06 IVR, C08 outbound out)
    ("offered_calls", 11, 11, None),
    # answered C01 C02 C03 C10 D01 E02 F01 = 7; short abandons C04 (1 ring) D02 (0) → 11 − 2 = 9
    ("answer_rate", 7 / 9, 7, 9),
    # rings ≤ 3 among answered: C01 C03 C10 D01 E02 F01 = 6 (C02 rang 4)
    ("answer_within_3_rings_rate", 6 / 9, 6, 9),
    # missed C04 C05 C07(voicemail) D02 = 4 of 11 offered; short abandons stay in this one
    ("abandon_rate", 4 / 11, 4, 11),
    # waits: C01 10+8=18, C02 20 (ring only), C03 3×5=15, C10 0+0, D01 10, E02 5, F01 5 → 73 / 7
    ("asa_seconds", 73 / 7, 73, 7),
    # talk+hold: 100 + 240 + 91 + 30 + 120 + 60 + 80 = 721 / 7 = 103
    ("aht_seconds", 103, 721, 7),
    # hold > 30 s: C02 (40), C03 (31) of 7 answered
    ("long_hold_rate", 2 / 7, 2, 7),
    # hold count ≥ 2: C02
    ("repeat_hold_rate", 1 / 7, 1, 7),
    # resolved/closed with a flag, created in October: C01 是, C02 否, C09 是, D01 否 (C13 no flag)
    ("fcr_rate", 2 / 4, 2, 4),
    # C03 售后/投诉 of 21
    ("complaint_rate", 1 / 21, 1, 21),
    # resolved in October: C01 1 h, C02 26 h, C09 6 h, D01 3 h, C13 10 h, G01 192 h (created 09-25) → 238 / 6
    ("resolution_hours", 238 / 6, 238, 6),
    # ≤ 24 h: C01 C09 D01 C13
    ("on_time_resolution_rate", 4 / 6, 4, 6),
    # open at 10-31 24:00: C03 (G01 was resolved 10-03)
    ("backlog", 1, 1, None),
    # callback_at in October: B01–B06, B08 (orphan); B07 is 11-01 00:00:00
    ("callbacks", 7, 7, None),
    # reached: all but B04 (未接通); B06 reached without a grade
    ("callback_reach_rate", 6 / 7, 6, 7),
    # after-sales resolved in October: C01 C02 C09 D01 C13 G01; with a callback: C01 C02 C09 D01
    ("callback_coverage_rate", 4 / 6, 4, 6),
    # first callback by the next day: C01 (10-01→10-02), C09 (10-04→10-05), D01 (10-05→10-06); C02 10-02→10-05 late
    ("callback_next_day_rate", 3 / 4, 3, 4),
    # graded: B01 A, B02 B, B03 C, B05 D, B08 A → A/B = 3 of 5
    ("satisfaction_rate", 3 / 5, 3, 5),
    # points 5 + 3 + 0 − 5 + 5 = 8 over 5
    ("satisfaction_points", 8 / 5, 8, 5),
    ("dissatisfied", 2, 2, None),
    # paid in October: S01 100, S02 200, S03 50−20=30, S05 300, S07 40, S09 70 = 740
    # (S04 unpaid, S08 refunded, S11 cancelled, S06 in November)
    ("revenue", 740, 740, None),
    ("orders", 6, 6, None),
    ("aov", 740 / 6, 740, 6),
    # buyers with an id: K1 (S01 S07), K2 (S02), K3 (S03), K4 (S05); S09 has no customer
    ("buyers", 4, 4, None),
    ("repeat_purchase_rate", 1 / 4, 1, 4),
    # bought before October: K1 (S12 09-30 23:59:59), K2 (S10 09-05)
    ("returning_buyer_share", 2 / 4, 2, 4),
    # K1 140 + K2 200 = 340 of revenue with a customer 740 − 70 = 670
    ("returning_revenue_share", 340 / 670, 340, 670),
    # member orders: S01 金卡 100, S03 银卡 30
    ("member_aov", 65, 130, 2),
    # refunded: S08 (status), S03 (partly); over paid 6 + refunded 1
    ("refund_rate", 2 / 7, 2, 7),
    # ---- customers (paid orders with a customer, all history): K1 S12 09-30 23:59:59, S01, S07; K2 S10 09-05,
    # S02; K3 S03; K4 S05; K5 S06 (November)
    # September's buyers K1 K2 both bought again in October
    ("returning_customer_rate", 1, 2, 2),
    # 30-day windows ending in October: K1 (09-30 23:59:59 → 10-30 23:59:59, bought again 10-11 → returned),
    # K2 (09-05 → 10-05, next order 10-12 too late); K3 K4 (10-10) end in November
    ("new_to_returning_rate", 1 / 2, 1, 2),
    # last purchases 10-10 … 10-20: nobody 90 days quiet at the month's end (the boundaries: test_customers)
    ("dormant_customers", 0, 0, None),
    ("churned_customers", 0, 0, None),
    # nobody was dormant or churned at October's start: no denominator → empty, not 0
    ("reactivation_rate", math.nan, 0, 0),
    ("rescue_rate", math.nan, 0, 0),
    # inquirers K1–K5 (first tickets Q01 Q03 Q04 Q05 Q06); converted: K1 S01 paid 10-11 23:59:59 (last second
    # of the next-day window), K4 S05 paid 14:00 after the 13:00 inquiry, K5 S06 11-01 (next day);
    # K2 S02 10-12 00:00:00 one second late; K3 S03 before the inquiry, S04 unpaid
    ("inquiry_conversion_rate", 3 / 5, 3, 5),
    # ---- complaints.csv: received in October TS01–TS07 (TS08 is 11-01 00:00:00, TS09 09-30)
    ("complaint_items", 7, 7, None),
    # class 投诉: TS01 TS02 TS03 TS04 TS07 (TS05 意见, TS06 建议)
    ("complaints", 5, 5, None),
    ("opinions", 1, 1, None),
    ("suggestions", 1, 1, None),
    # 5 complaints ÷ 6 paid orders (the orders row above); ÷ 21 contacts
    ("complaints_per_order", 5 / 6, 5, 6),
    ("complaints_per_contact", 5 / 21, 5, 21),
    # judged complaints: TS01 成立, TS02 成立, TS03 不成立, TS07 成立 (TS04 not judged yet)
    ("complaint_valid_rate", 3 / 4, 3, 4),
    # with a result: TS01 TS02 TS03 TS05 of 7
    ("complaint_resolved_rate", 4 / 7, 4, 7),
    # hours to result: TS01 24, TS02 168, TS03 4, TS05 24 → 220 / 4
    ("complaint_result_hours", 55, 220, 4),
    # within 120 h: TS01 TS03 TS05 (TS02 168 h late)
    ("complaint_on_time_rate", 3 / 4, 3, 4),
    # resolved and called back: TS01 TS03 of the 4 resolved
    ("complaint_callback_rate", 2 / 4, 2, 4),
    # called back: TS01 满意 (B), TS03 不满意 (D) → 1 of 2
    ("complaint_satisfaction_rate", 1 / 2, 1, 2),
    # 属实 with an installer unit: TS01 一队, TS07 二队 (TS09 否, September)
    ("installer_complaints", 2, 2, None),
    # 5 complaints ÷ (740 yuan of paid revenue ÷ 10,000 = 0.074)
    ("complaints_per_10k_revenue", 5 / 0.074, 5, 0.074),
    # ---- store operations: stores.csv, store_audits.csv, inventory_snapshots.csv, receivables.csv
    # category standard in October: AU1 90, AU2 80, AU3 70 → 240 / 3
    ("audit_category_score", 80, 240, 3),
    # IGA: AU6 92 (AU8 is 09-30 23:59:59)
    ("audit_iga_score", 92, 92, 1),
    # QSC: AU4 85, AU5 75 (AU7 is 11-01 00:00:00) → 160 / 2; sub-scores quality 30 + 25, service 28 (AU5 has
    # none), cleanliness 27 + 24
    ("audit_qsc_score", 80, 160, 2),
    ("qsc_quality", 27.5, 55, 2),
    ("qsc_service", 28, 28, 1),
    ("qsc_cleanliness", 25.5, 51, 2),
    # cost of paid October orders: S01 60 + S02 120 + S05 180 + S07 25 (上海店) + S03 20 + S09 40 (广州店) = 445
    # (S08 refunded, its 300 is not a sale).  Average inventory: 上海店 snapshotted on 2 days of October (10-01:
    # 300 + 0, 10-31: 150 + 200 → 650 / 2 = 325; 09-30 and 11-01 are other months), 广州店 on 1 (10-31: 100 + 0
    # → 100) → 425.  Turnover 445 / 425 per month.
    ("inventory_turnover", 445 / 425, 445, 425),
    # inventory-days: 650 × 31 / 2 = 10075 + 100 × 31 / 1 = 3100 → 13175 / 445 cost
    ("inventory_days", 13175 / 445, 13175, 445),
    # SKU-days in October: 上海店 4, 广州店 2; out: 上海店 P2 on 10-01 (quantity 0, no flag), 广州店 P3 (是)
    ("stockout_rate", 2 / 6, 2, 6),
    # open days: 上海店 31, 广州店 opened 10-10 → 22; revenue of the two: 640 + 100 = 740
    ("revenue_per_open_day", 740 / 53, 740, 53),
    # area-months: 200 × 31/31 + 100 × 22/31 = 8400 / 31 m²·months
    ("revenue_per_sqm", 740 * 31 / 8400, 740, 8400 / 31),
    # raised in October: R1 due 1000 collected 800, R2 (10-31 23:59:59) due 500, nothing collected
    ("collection_rate", 800 / 1500, 800, 1500),
    # outstanding 200 + 500 = 700
    ("receivables_turnover", 1500 / 700, 1500, 700),
    # outstanding × 31 days / due = 21700 / 1500
    ("dso_days", 21700 / 1500, 21700, 1500),
]


def test_every_kpi_is_in_the_hand_table():
    from metrics.registry import KEYS

    assert [k for k, *_ in OCTOBER] == list(KEYS)


@pytest.mark.parametrize("kpi, value, num, den", OCTOBER, ids=[k for k, *_ in OCTOBER])
def test_october(mwh, kpi, value, num, den):
    got = figures(mwh, kpis=[kpi])[(kpi,)]
    assert got[0] == approx(value)
    assert got[1] == approx(num)
    assert (math.isnan(got[2]) if den is None else got[2] == approx(den))


def test_all_kpis_in_one_call_match_single_calls(mwh):
    together = figures(mwh)
    assert {k[0]: v[0] for k, v in together.items()} == {k: approx(v) for k, v, *_ in OCTOBER}


# ------------------------------------------------------------------ month boundaries
def test_month_boundaries(mwh):
    sep = figures(mwh, "2026-09")
    # September: C12 (09-30 23:59:59), E01, G01, Q07
    assert sep[("contacts",)][0] == 4
    assert sep[("offered_calls",)][0] == 2 and sep[("answer_rate",)][0] == 1.0
    # backlog at the end of September: G01 (resolved 10-03); C03 does not exist yet
    assert sep[("backlog",)][0] == 1
    # K1 (S12 15) and K2 (S10 90) bought in September; K1 asked (Q07) but did not pay within the window
    assert sep[("revenue",)][0] == 105 and sep[("inquiry_conversion_rate",)][:2] == (0.0, 0)
    nov = figures(mwh, "2026-11")
    # C11 at 11-01 00:00:00; B07 at 11-01 00:00:00; S06 on 11-01
    assert nov[("contacts",)][0] == 1 and nov[("callbacks",)][0] == 1 and nov[("revenue",)][0] == 60


def test_quarter_rolls_up_as_ratio_of_sums(mwh):
    both = figures(mwh, ["2026-09", "2026-10"])
    # answered 7 + 2 over (9 + 2)
    assert both[("answer_rate",)][1:] == (9, 11)
    by_month = figures(mwh, ["2026-09", "2026-10"], dims=("month",))
    assert by_month[("2026-09", "answer_rate")][0] == 1.0 and by_month[("2026-10", "answer_rate")][0] == approx(7 / 9)
    # returning buyers over the two months: the period starts 09-01, so K1 and K2 are new (their first
    # orders S12 and S10 are in September) → 0 of 4 buyers (K1 K2 K3 K4)
    assert both[("returning_buyer_share",)][1:] == (0, 4)
    assert both[("repeat_purchase_rate",)][1:] == (2, 4)   # K1: S12 S01 S07; K2: S10 S02


def test_returning_buyers_are_judged_within_the_group_as_a_filter_would(mwh):
    # October by agent.  P1's orders: S01 (K1), S02 (K2), S05 (K4) → 3 buyers; within P1 none bought
    # before (K1's S12 and K2's S10 in September have no agent) → 0 of 3.  No agent: S03 (K3), S07 (K1),
    # S09 (no customer: not a buyer) → K1 returning (S12, no agent, September), K3 new → 1 of 2.
    # Company-wide history would make K1 and K2 returning in P1 (2 of 3): not what a P1 filter shows.
    by_agent = figures(mwh, dims=("agent",), kpis=["returning_buyer_share"])
    assert by_agent[("P1", "returning_buyer_share")][1:] == (0, 3)
    no_agent = [v for (agent, _kpi), v in by_agent.items() if not isinstance(agent, str)]   # NaN / None
    assert [v[1:] for v in no_agent] == [(1, 2)]
    # the same group as a filter: the same figure (the P1 view of a manager filtering by agent)
    assert figures(mwh, kpis=["returning_buyer_share"], filters=Filters.of(agent=["P1"]))[
        ("returning_buyer_share",)][1:] == (0, 3)


def test_non_contiguous_months_count_only_those_months(mwh):
    got = figures(mwh, ["2026-09", "2026-11"])
    assert got[("contacts",)][0] == 4 + 1


# ------------------------------------------------------------------ grouping and roll-up
def test_team_from_roster_rolls_up_to_all(mwh):
    by_team = figures(mwh, dims=("team",), kpis=["answer_rate", "satisfaction_rate"])
    # 售后一组: offered C01 C02 C03 C04 C05 C07 C10, short C04 → 4 / 6
    assert by_team[("售后一组", "answer_rate")][1:] == (4, 6)
    # 售后二组: D01 (roster beats the ticket's 售后一组), D02 short, E02 (A3 moved on 10-01) → 2 / 2
    assert by_team[("售后二组", "answer_rate")][1:] == (2, 2)
    # X9 is not on the roster: the ticket's own team
    assert by_team[("外包组", "answer_rate")][1:] == (1, 1)
    assert sum(v[1] for k, v in by_team.items() if k[1] == "answer_rate") == 7
    # satisfaction: 售后一组 B01 A B02 B B05 D → 2/3; 售后二组 B03 C → 0/1; orphan B08 A has no team → 1/1
    assert by_team[("售后一组", "satisfaction_rate")][1:] == (2, 3)
    assert by_team[("售后二组", "satisfaction_rate")][1:] == (0, 1)
    orphan = [v for k, v in by_team.items() if k[1] == "satisfaction_rate" and not isinstance(k[0], str)]
    assert [v[1:] for v in orphan] == [(1, 1)]
    # (2 + 0 + 1) / (3 + 1 + 1) = 3/5, not the mean of 2/3, 0 and 1
    assert figures(mwh, kpis=["satisfaction_rate"])[("satisfaction_rate",)][0] == approx(3 / 5)


def test_region_and_agent_month_from_roster(mwh):
    sep = figures(mwh, "2026-09", dims=("region", "agent"), kpis=["offered_calls"])
    oct_ = figures(mwh, "2026-10", dims=("region", "agent"), kpis=["offered_calls"])
    # A3 is in 华东 until 09-30 and in 华南 from 10-01
    assert sep[("华东", "A3", "offered_calls")][0] == 1
    assert oct_[("华南", "A3", "offered_calls")][0] == 1
    assert oct_[("华北", "X9", "offered_calls")][0] == 1


def test_by_region_rolls_up(mwh):
    by_region = figures(mwh, dims=("region",), kpis=["revenue", "orders", "aov"])
    # 华东: S01 100 S02 200 S05 300 S07 40; 华南: S03 30 S09 70
    assert by_region[("华东", "revenue")][0] == 640 and by_region[("华南", "revenue")][0] == 100
    assert by_region[("华东", "aov")][0] == 160 and by_region[("华南", "aov")][0] == 50


def test_category_and_member_level_dimensions(mwh):
    cat = figures(mwh, dims=("category",), kpis=["complaint_rate"])
    assert cat[("售后/投诉", "complaint_rate")][0] == 1.0
    lvl = figures(mwh, dims=("member_level",), kpis=["orders"])
    assert lvl[("金卡", "orders")][0] == 1 and lvl[("银卡", "orders")][0] == 1
    with pytest.raises(MetricError, match="member_level"):
        compute(mwh, ["answer_rate"], months=["2026-10"], dims=["member_level"], scope=Scope.all())
    # without a KPI list, only the KPIs that fit the dimension come back
    kpis = set(compute(mwh, months=["2026-10"], dims=["category"], scope=Scope.all())["kpi"])
    assert "answer_rate" in kpis and "revenue" not in kpis


def test_inquiry_conversion_credited_to_first_ticket(mwh):
    got = figures(mwh, dims=("agent", "team"), kpis=["inquiry_conversion_rate"])
    assert got[("P1", "售前一组", "inquiry_conversion_rate")][1:] == (3, 5)


# ------------------------------------------------------------------ empty denominators
def test_empty_denominator_is_empty_not_zero(mwh):
    # no phone call in the online-only pre-sales team: offered 0 → answer rate empty
    got = figures(mwh, dims=("team",), kpis=["offered_calls", "answer_rate", "contacts"])
    assert got[("售前一组", "contacts")][0] == 6   # Q01–Q06 in October
    assert got[("售前一组", "offered_calls")][0] == 0
    value, num, den = got[("售前一组", "answer_rate")]
    assert math.isnan(value) and den == 0


def test_month_without_data_returns_no_rows(mwh):
    assert compute(mwh, months=["2025-01"], scope=Scope.all()).empty


# ------------------------------------------------------------------ settings change the figures
@pytest.mark.parametrize("change, kpi, expected", [
    # voicemail excluded: C07 leaves offered and missed → 3 / 10, answer rate 7 / (10 − 2)
    ({"voicemail_as_missed": False}, "abandon_rate", (3, 10)),
    ({"voicemail_as_missed": False}, "answer_rate", (7, 8)),
    # every abandon in the denominator: 7 / 11; abandons ignored: 7 / 7
    ({"abandon_treatment": "count_all"}, "answer_rate", (7, 11)),
    ({"abandon_treatment": "ignore"}, "answer_within_3_rings_rate", (6, 7)),
    # short abandon = 0 rings only: D02 → 7 / 10
    ({"short_abandon_rings": 0}, "answer_rate", (7, 10)),
    # 10 s per ring: C02 20 s → 2 rings (now within 3), C07 10 s → 1 ring (now short) → 7 / (11 − 3)
    ({"ring_cycle_seconds": 10}, "answer_within_3_rings_rate", (7, 8)),
    # ... and C03's wait is 3 × 10: 73 − 15 + 30 = 88
    ({"ring_cycle_seconds": 10}, "asa_seconds", (88, 7)),
    ({"answer_rings": 4}, "answer_within_3_rings_rate", (7, 9)),
    # SLA 30 h for 售后/安装 (C01, C02): C02's 26 h is now on time → 5 / 6; a prefix matches 售后/安装/…
    ({"sla_hours": {"*": 24, "售后/安装": 30}}, "on_time_resolution_rate", (5, 6)),
    ({"sla_hours": {"*": 24, "售后": 200}}, "on_time_resolution_rate", (6, 6)),
    ({"sla_hours": {"*": 5}}, "on_time_resolution_rate", (2, 6)),   # C01 1 h, D01 3 h
    # same day: only K4; 3 days: K1, K2 (10-12 is within 10-10 + 3), K4, K5
    ({"conversion_window": "same_day"}, "inquiry_conversion_rate", (1, 5)),
    ({"conversion_window": 3}, "inquiry_conversion_rate", (4, 5)),
])
def test_settings_change_the_count(mwh, change, kpi, expected):
    settings = with_overrides(DEFAULTS, **change)
    got = figures(mwh, kpis=[kpi], settings=settings)[(kpi,)]
    assert got[1:] == expected


def test_conversion_pending_until_sales_reach_the_window(mwh):
    df = compute(mwh, ["inquiry_conversion_rate"], months=["2026-10"], scope=Scope.all())
    # sales reach 11-01 (S06): the next-day window of 10-31 closes on 11-01 → final
    assert not df["pending"].iloc[0]
    assert "询单→次日付款" in df["basis"].iloc[0]
    wide = compute(mwh, ["inquiry_conversion_rate"], months=["2026-10"], scope=Scope.all(),
                   settings=with_overrides(DEFAULTS, conversion_window=3))
    # a 3-day window of 10-31 closes 11-03, after the last sale → 延迟统计
    assert wide["pending"].iloc[0]
    nov = compute(mwh, ["inquiry_conversion_rate", "revenue"], months=["2026-11"], scope=Scope.all())
    assert nov.set_index("kpi")["pending"].to_dict() == {"revenue": False}   # no inquiries in November


def test_every_rate_says_which_settings_made_it(mwh):
    df = compute(mwh, ["answer_within_3_rings_rate", "revenue"], months=["2026-10"], scope=Scope.all())
    basis = df.set_index("kpi")["basis"]
    assert "每声秒数=5" in basis["answer_within_3_rings_rate"] and "短时放弃不计入分母" in basis[
        "answer_within_3_rings_rate"]
    assert basis["revenue"] == ""


# ------------------------------------------------------------------ scope and filters
def test_scope_hides_other_regions(mwh):
    east = Scope.of(regions=["华东"])
    df = compute(mwh, months=["2026-10"], dims=["region", "team"], scope=east)
    assert set(df["region"]) == {"华东"}
    got = figures(mwh, kpis=["revenue", "answer_rate", "callbacks"], scope=east)
    # 华东 revenue 640; 售后一组 calls 4/6; callbacks of 华东 tickets: B01 B02 B05 B06 (orphan B08 has no region)
    assert got[("revenue",)][0] == 640 and got[("answer_rate",)][1:] == (4, 6) and got[("callbacks",)][0] == 4


def test_filters_narrow_but_never_widen_the_scope(mwh):
    east = Scope.of(regions=["华东"])
    got = figures(mwh, kpis=["revenue"], scope=east, filters=Filters.of(region=["华南"]))
    assert got == {}
    got = figures(mwh, kpis=["revenue"], filters=Filters.of(store=["广州店"]))
    assert got[("revenue",)][0] == 100


def test_empty_scope_sees_nothing(mwh):
    nobody = Scope.of(regions=[])
    assert compute(mwh, months=["2026-10"], scope=nobody).empty


def test_scope_is_required(mwh):
    with pytest.raises(TypeError):
        compute(mwh, ["revenue"], months=["2026-10"])  # noqa: the missing scope is the point
    with pytest.raises(MetricError, match="Scope"):
        compute(mwh, ["revenue"], months=["2026-10"], scope=None)


def test_conversion_attribution_does_not_depend_on_the_viewer(mwh):
    # 华南 viewers see no inquiries (all of P1's are 华东): not re-credited to another ticket
    assert figures(mwh, kpis=["inquiry_conversion_rate"], scope=Scope.of(regions=["华南"])) == {}


# ------------------------------------------------------------------ bad requests
@pytest.mark.parametrize("kwargs, message", [
    ({"kpis": ["answer_ratio"]}, "未知指标"),
    ({"dims": ["weekday"]}, "未知维度"),
    ({"months": ["2026-13"]}, "月份"),
    ({"months": []}, "至少"),
])
def test_bad_requests_name_the_choices(mwh, kwargs, message):
    args = {"kpis": None, "months": ["2026-10"], "dims": ()} | kwargs
    with pytest.raises(MetricError, match=message):
        compute(mwh, args.pop("kpis"), scope=Scope.all(), **args)


def test_one_query_per_source_with_bound_parameters(mwh):
    from metrics.query import plan, resolve_kpis

    kpis = resolve_kpis(None, ())
    queries = plan(kpis, months=["2026-10"], dims=("team",), filters=Filters.of(region=["华东'; DROP TABLE x"]),
                   scope=Scope.of(stores=["上海店"]), settings=DEFAULTS)
    assert sorted(q.source for q in queries) == sorted({m.source for m in kpis})
    for q in queries:
        assert "DROP" not in q.sql and "上海店" not in q.sql
        assert q.params["scope_store"] == ["上海店"]


def test_sales_reach_is_kept_per_load_and_moves_with_the_next_one(wh, tmp_path):
    """The reach (last sale or payment) decides 延迟统计; it is kept per load state, not re-scanned
    per computation, and a load of later sales moves it at once."""
    load_metric_fixtures(wh)
    wide = with_overrides(DEFAULTS, conversion_window=3)
    # the last sale is S06 on 11-01; a 3-day window of 10-31 closes on 11-03 → pending, twice (kept)
    for _ in range(2):
        assert compute(wh, ["inquiry_conversion_rate"], months=["2026-10"], scope=Scope.all(),
                       settings=wide)["pending"].iloc[0]
    later = tmp_path / "later.csv"
    later.write_text("订单编号,下单时间,付款时间,实付金额,退款金额,门店,区域,会员编号,会员等级,订单状态,客服工号\n"
                     "S99,2026-11-03 09:00:00,2026-11-03 09:00:00,10,0,上海店,华东,K9,,交易成功,P1\n",
                     encoding="utf-8")
    assert load_file(wh, "sales", later).rows_rejected == 0
    # a sale on 11-03 reaches the window's end → final
    assert not compute(wh, ["inquiry_conversion_rate"], months=["2026-10"], scope=Scope.all(),
                       settings=wide)["pending"].iloc[0]
