"""Roll-ups answer exactly as the facts do (issue 17), on DuckDB and on PostgreSQL.

Every KPI × every dimension combination (none, one, two, and the pages' three) × several scopes and
filters is computed twice — from the roll-ups and from the facts (``use_rollups=False``) — and the
numerators and denominators must be identical: counts exactly, sums of seconds and hours to 1e-12
relative (a sum of floating-point sums is added in another order; money is DECIMAL and exact).
The roll-ups are kept current by the loads themselves (built once on the empty warehouse, then
every fixture load refreshes them in its own transaction), and the test proves they were read.
"""
from datetime import date
import itertools
import math

import pytest
import sqlalchemy as sa

from conftest import FIXTURES, shared_warehouse
from loaders import load_file
from loaders.demo import write_demo
from metrics import Filters, Scope, compute, rollups
from metrics.months import normalise
from metrics.query import check_dims, plan, resolve_kpis
from metrics.registry import METRICS
from metrics.settings import load_settings, save_settings
from metrics.sources import DIMENSIONS, SOURCES
from warehouse.kinds import EVENT_KINDS
from test_metrics import load_metric_fixtures

M = FIXTURES / "metrics"

SCOPES = (Scope.all(), Scope.of(regions=["华东"]), Scope.of(stores=["广州店"]), Scope.of(teams=["售后一组"]),
          Scope.of(regions=["华东", "华南"], teams=["售后二组"]), Scope.of(regions=[]))
FILTERS = (Filters(), Filters.of(division=["aftersales"]), Filters.of(channel=["phone"]), Filters.of(agent=["A1", "A3"]),
           Filters.of(region=["华南"], store=["广州店", "上海店"]))
DIM_SETS = ([()] + [(d,) for d in DIMENSIONS] + list(itertools.combinations(DIMENSIONS, 2))
            + [("month", "region", "store"), ("month", "team", "agent")])


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def rwh(request, tmp_path_factory):
    wh = shared_warehouse(request, tmp_path_factory, load_metric_fixtures)
    yield wh
    wh.dispose()


def used(wh, dims, filters=Filters(), scope=Scope.all(), months=("2026-10",)) -> dict[str, str | None]:
    """source → the roll-up table the builder reads for these figures (None: the facts)."""
    dims = check_dims(dims)
    with wh.connect() as conn:
        stored = rollups.current(conn)
    return {q.source: q.rollup for q in plan(resolve_kpis(None, dims), months=normalise(months), dims=dims,
                                             filters=filters, scope=scope, settings=load_settings(wh), stored=stored)}


def assert_same(wh, months, dims, scope=Scope.all(), filters=Filters(), kpis=None) -> int:
    """Roll-ups and facts give the same figures; returns how many figures were compared."""
    kw = dict(months=months, dims=dims, scope=scope, filters=filters)
    fast = compute(wh, kpis, **kw)
    slow = compute(wh, kpis, use_rollups=False, **kw)
    keys = [*check_dims(dims), "kpi"]
    assert list(fast[keys].itertuples(index=False)) == list(slow[keys].itertuples(index=False)), (dims, scope, filters)
    for part in ("numerator", "denominator"):
        for a, b, kpi in zip(fast[part], slow[part], fast["kpi"]):
            if isinstance(b, float) and math.isnan(b):
                assert isinstance(a, float) and math.isnan(a), (kpi, part, dims, scope, filters)
            elif float(b).is_integer() and float(a).is_integer():   # counts: exactly (sums of decimals: to 1e-12)
                assert a == b, (kpi, part, a, b, dims, scope, filters)
            else:
                assert a == pytest.approx(b, rel=1e-12, abs=1e-9), (kpi, part, dims, scope, filters)
    assert fast["pending"].tolist() == slow["pending"].tolist()
    return len(fast)


def test_the_loads_kept_the_rollups_current_and_the_builder_reads_them(rwh):
    assert rollups.is_current(rwh)
    # every rolled-up source with the dimension (store operations have no team or agent)
    with_dim = lambda d: [s for s in rollups.ROLLED_UP if d in SOURCES[s].dims]
    by_team = {s: f"rollup_{s}_org" for s in with_dim("team")} | {"buyers": "rollup_buyers_by_team",
                                                                   "customers": "rollup_customers_by_team"}
    assert used(rwh, ("team",)) == by_team
    # the customers' KPIs by channel: no level roll-up has one → the buyers' rows, judged per channel
    assert used(rwh, ("channel",))["customers"] == "rollup_buyers_full"
    assert set(used(rwh, ("agent",)).values()) == {f"rollup_{s}_full" for s in with_dim("agent")}
    # an agent filter needs the full grain; a category only exists on the ticket sources
    assert used(rwh, (), filters=Filters.of(agent=["A1"]))["tickets"] == "rollup_tickets_full"
    assert used(rwh, ("category",))["tickets"] == "rollup_tickets_full"
    # a month the roll-ups do not cover is answered from the facts
    assert set(used(rwh, (), months=("2031-01",)).values()) == {None}


def test_distinct_buyers_come_from_a_level_rollup_only_when_each_group_is_one_value(rwh):
    buyers = lambda dims=(), **kw: used(rwh, dims, **kw)["buyers"]  # noqa: E731
    assert buyers() == "rollup_buyers_by_all"
    assert buyers(("month",), scope=Scope.of(regions=["华东"])) == "rollup_buyers_by_region"
    assert buyers(scope=Scope.of(stores=["上海店"])) == "rollup_buyers_by_store"
    assert buyers(filters=Filters.of(store=["上海店"])) == "rollup_buyers_by_store"
    assert buyers(("region",), scope=Scope.of(regions=["华东", "华南"])) == "rollup_buyers_by_region"
    # two regions: their roll-up rows, corrected for the customers of both (test_several_values_…)
    assert buyers(scope=Scope.of(regions=["华东", "华南"])) == "rollup_buyers_by_region+rollup_buyers_cross_region"
    # two levels restricted: no level roll-up holds that → the rows
    assert buyers(scope=Scope.of(regions=["华东"]), filters=Filters.of(store=["上海店"])) == "rollup_buyers_full"
    assert buyers(filters=Filters.of(channel=["phone"])) == "rollup_buyers_full"
    for scope, filters, dims in ((Scope.of(regions=["华东"]), Filters(), ("month",)),
                                 (Scope.of(stores=["上海店"]), Filters(), ()),
                                 (Scope.all(), Filters.of(region=["华东", "华南"]), ("region",)),
                                 (Scope.of(regions=["华东", "华南"]), Filters.of(region=["华南"]), ()),
                                 (Scope.of(regions=["华东", "华南"]), Filters(), ())):
        assert_same(rwh, ["2026-09", "2026-10"], dims, scope=scope, filters=filters,
                    kpis=["buyers", "repeat_purchase_rate", "returning_buyer_share", "returning_revenue_share"])
    # the customers over their history (dormant, churned, returning…) the same way, per level
    customers = lambda dims=(), **kw: used(rwh, dims, **kw)["customers"]  # noqa: E731
    assert customers() == "rollup_customers_by_all"
    assert customers(("month",), scope=Scope.of(regions=["华东"])) == "rollup_customers_by_region"
    assert customers(filters=Filters.of(store=["上海店"])) == "rollup_customers_by_store"
    assert customers(filters=Filters.of(channel=["phone"])) == "rollup_buyers_full"
    kpis = [m.key for m in METRICS if m.source == "customers"]
    for scope, filters, dims in ((Scope.of(regions=["华东"]), Filters(), ("month",)),
                                 (Scope.of(stores=["上海店"]), Filters(), ()),
                                 (Scope.all(), Filters.of(region=["华东", "华南"]), ("region",)),
                                 (Scope.of(teams=["售前一组"]), Filters(), ("month",)),
                                 (Scope.of(regions=["华东", "华南"]), Filters(), ())):
        assert_same(rwh, ["2026-09", "2026-10", "2026-11"], dims, scope=scope, filters=filters, kpis=kpis)


def test_every_kpi_every_dimension_pair_every_scope_and_filter_is_identical(rwh):
    compared = 0
    for i, dims in enumerate(DIM_SETS):    # each pair, and each scope and filter, with others in turn
        compared += assert_same(rwh, ["2026-10"] if i % 2 else ["2026-09", "2026-10"], dims,
                                scope=SCOPES[i % len(SCOPES)], filters=FILTERS[i % len(FILTERS)])
    for scope, filters in itertools.product(SCOPES, FILTERS):
        compared += assert_same(rwh, ["2026-09", "2026-10", "2026-11"], ("month", "store"), scope=scope, filters=filters)
    # months that are not contiguous, and a total over months; months before any data (the overview's
    # 13 months reach back before the first load): answered from the roll-ups, as empty as the facts
    compared += assert_same(rwh, ["2026-08", "2026-10"], ("month", "region"))
    compared += assert_same(rwh, ["2024-12", "2025-06", "2026-10"], ("month", "team"))
    names = {d.name for d in rollups.definitions(load_settings(rwh))}
    org = lambda s: f"rollup_{s}_org" if f"rollup_{s}_org" in names else f"rollup_{s}_full"  # noqa: E731
    assert set(used(rwh, ("month",), months=("2024-12", "2026-10")).values()) == {
        "rollup_buyers_by_all" if s == "buyers" else org(s) for s in rollups.ROLLED_UP} | {"rollup_customers_by_all"}
    compared += assert_same(rwh, ["2026-08", "2026-09", "2026-10"], ("agent",), scope=SCOPES[2])
    assert compared > 2_000


def test_non_kpi_aggregates_read_a_rollup_when_it_holds_their_groups_and_sums(rwh):
    from metrics.breakdowns import filter_values
    from metrics.query import aggregate
    from metrics.registry import BY_KEY

    for scope in SCOPES:
        kw = dict(months=["2026-09", "2026-10"], scope=scope, group={d: d for d in ("region", "store", "team", "division", "channel")},
                  measures={"offered": BY_KEY["offered_calls"].numerator.sql()})
        fast, slow = aggregate(rwh, "tickets", **kw), aggregate(rwh, "tickets", use_rollups=False, **kw)
        order = list(kw["group"])
        fast, slow = (f.sort_values(order, na_position="last").reset_index(drop=True) for f in (fast, slow))
        assert fast[order].equals(slow[order]) and (fast["offered"].astype(int) == slow["offered"].astype(int)).all()
        assert (fast["fact_rows"].astype(int) == slow["fact_rows"].astype(int)).all()
    assert len(filter_values(rwh, months=["2026-10"], scope=Scope.all())) > 1
    # a group that is not a dimension (an hour) is counted from the facts, as before
    hours = aggregate(rwh, "tickets", months=["2026-10"], scope=Scope.all(),
                      group={"hour": "EXTRACT(HOUR FROM created_at)"}, measures={})
    assert hours["fact_rows"].sum() == 21


def test_a_generated_month_is_identical_too(db, tmp_path):
    from warehouse import open_warehouse

    wh = open_warehouse(db)
    try:
        rollups.build(wh)
        for kind, path in write_demo(tmp_path / "demo", months=2, end_month="2026-10"):
            load_file(wh, kind, path)
        assert rollups.is_current(wh)
        with wh.connect() as conn:
            regions = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT region FROM roster ORDER BY 1"))]
            stores = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT store FROM tickets WHERE store IS NOT NULL ORDER BY 1"))]
            teams = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT team FROM roster ORDER BY 1"))]
        scopes = (Scope.all(), Scope.of(regions=regions[:1]), Scope.of(stores=stores[:3]), Scope.of(teams=teams[1:3]))
        for i, dims in enumerate([(), ("team",), ("region",), ("store",), ("agent",), ("month", "team"),
                                  ("channel", "division"), ("category",), ("member_level",)]):
            assert_same(wh, ["2026-09", "2026-10"], dims, scope=scopes[i % len(scopes)])
        assert_same(wh, ["2026-10"], ("team",), filters=Filters.of(division=["presales"], channel=["phone"]))
        assert used(wh, ("team",))["tickets"] == "rollup_tickets_org"
    finally:
        wh.dispose()


def test_a_reexport_and_a_roster_change_keep_them_current_and_identical(wh):
    rollups.build(wh)
    for kind, name in (("roster", "metrics/roster.csv"), ("tickets", "tickets_basic.csv"),
                       ("callbacks", "callbacks_basic.csv"), ("sales", "metrics/sales.csv")):
        load_file(wh, kind, FIXTURES / name)
    before = compute(wh, ["contacts", "answer_rate"], months=["2026-10"], dims=("team",), scope=Scope.all())
    load_file(wh, "tickets", FIXTURES / "tickets_reexport.csv")     # replaces rows, adds others
    load_file(wh, "roster", M / "roster.csv")                      # no event time: every month rebuilt
    assert rollups.is_current(wh)
    for dims in [(), ("team",), ("month", "store"), ("agent",)]:
        assert_same(wh, ["2026-09", "2026-10", "2026-11"], dims)
    after = compute(wh, ["contacts", "answer_rate"], months=["2026-10"], dims=("team",), scope=Scope.all())
    assert not after.equals(before)    # the re-export did change October's figures, and they show


def test_a_settings_change_makes_the_rollups_stale_until_rebuilt_and_the_figures_follow(wh):
    load_metric_fixtures(wh)
    kw = dict(months=["2026-10"], dims=("team",), scope=Scope.all())
    old = compute(wh, ["answer_within_3_rings_rate"], **kw).set_index("team")["numerator"]
    save_settings(wh, {"answer_rings": 2}, "test")
    status = {r["rollup"]: r for r in rollups.status(wh)}
    assert status["rollup_tickets_full"]["why"] == "settings" and status["rollup_sales_full"]["state"] == "current"
    assert used(wh, ("team",))["tickets"] is None                  # stale: never read
    assert_same(wh, ["2026-10"], ("team",))
    stale_answer = compute(wh, ["answer_within_3_rings_rate"], **kw).set_index("team")["numerator"]
    seen = []
    built = rollups.build(wh, only_stale=True, progress=lambda f, name: seen.append(f))
    assert set(built) == {"rollup_tickets_full", "rollup_tickets_org"} and seen[-1] == 1.0
    assert rollups.is_current(wh) and used(wh, ("team",))["tickets"] == "rollup_tickets_org"
    new = compute(wh, ["answer_within_3_rings_rate"], **kw).set_index("team")["numerator"]
    assert new.equals(stale_answer) and (new <= old).all() and new.sum() < old.sum()
    assert_same(wh, ["2026-10"], ("team",))


def test_a_rollup_behind_the_data_is_not_read(wh):
    load_metric_fixtures(wh)
    with wh.begin() as conn:   # as if a load had landed without the roll-ups (an older program)
        conn.execute(sa.text("UPDATE rollups SET data_version = data_version - 1"))
    assert set(used(wh, ("team",)).values()) == {None}
    assert {r["why"] for r in rollups.status(wh)} == {"data"}
    # a later load does not bring a roll-up that was behind up to date by refreshing a few months
    load_file(wh, "callbacks", FIXTURES / "callbacks_basic.csv")
    assert set(used(wh, ("team",)).values()) == {None}
    rollups.build(wh, only_stale=True)
    assert rollups.is_current(wh)
    assert_same(wh, ["2026-10"], ("team",))


def test_loads_at_the_same_moment_are_taken_one_at_a_time_and_the_rollups_stay_exact(wh):
    """Managers of one app load files at the same moment (threads of one process, one shared DuckDB
    instance; on PostgreSQL separate connections): each load's transaction rewrites the same months
    of the same roll-ups, so they are taken one at a time — no transaction conflict, no lost or
    doubled roll-up row, every load in the log."""
    from concurrent.futures import ThreadPoolExecutor

    rollups.build(wh)
    load_file(wh, "roster", M / "roster.csv")
    files = [("tickets", M / "tickets.csv"), ("tickets", FIXTURES / "tickets_basic.csv"),
             ("callbacks", M / "callbacks.csv"), ("sales", M / "sales.csv"), ("tickets", FIXTURES / "tickets_reexport.csv")]
    with ThreadPoolExecutor(len(files)) as pool:
        reports = list(pool.map(lambda kf: load_file(wh, *kf), files))
    assert sorted(r.load_id for r in reports) == [2, 3, 4, 5, 6]
    assert rollups.is_current(wh)
    for dims in [(), ("team",), ("month", "store"), ("agent",)]:
        assert_same(wh, ["2026-09", "2026-10", "2026-11"], dims)


def test_a_rebuild_and_a_load_at_the_same_moment_take_turns(wh):
    """A settings save rebuilds the roll-ups while another manager loads a file: one waits for the
    other (the same lock as two loads), and the roll-ups are current and exact afterwards."""
    from concurrent.futures import ThreadPoolExecutor

    load_metric_fixtures(wh)
    save_settings(wh, {"answer_rings": 2}, "test")
    with ThreadPoolExecutor(3) as pool:
        jobs = [pool.submit(rollups.build, wh, only_stale=True), pool.submit(rollups.build, wh),
                pool.submit(load_file, wh, "tickets", FIXTURES / "tickets_reexport.csv")]
        [job.result() for job in jobs]
    assert rollups.is_current(wh)
    for dims in [(), ("team",), ("month", "store")]:
        assert_same(wh, ["2026-09", "2026-10", "2026-11"], dims)


def test_the_months_and_loaded_days_come_from_the_days_rollups_and_equal_the_facts(rwh, monkeypatch):
    """The month picker, the default month and completeness read one row per loaded day (kept by the
    loads like every roll-up) — the same answer as the DISTINCT over the facts."""
    from metrics import catalog, compare

    with rwh.connect() as conn:
        assert rollups.day_tables(conn) == {k: f"rollup_days_{k}" for k in EVENT_KINDS}
    months = catalog.loaded_months(rwh)
    loaded = compare.days_loaded(rwh, months)
    complete = compare.complete_months(rwh, months)
    first = catalog.default_month(rwh)
    monkeypatch.setattr(rollups, "day_tables", lambda conn: None)   # the facts
    assert catalog.loaded_months(rwh) == months and len(months) >= 2
    assert compare.days_loaded(rwh, months) == loaded and sum(loaded.values()) > 0
    assert compare.complete_months(rwh, months) == complete and catalog.default_month(rwh) == first


def test_a_days_rollup_behind_the_data_is_not_read(wh):
    load_metric_fixtures(wh)
    with wh.begin() as conn:
        conn.execute(sa.text("UPDATE rollups SET data_version = data_version - 1 WHERE name = 'rollup_days_sales'"))
        assert rollups.day_tables(conn) is None


def _stray(path, when: str, status: str = "处理中") -> None:
    path.write_text("工单编号,来电时间,渠道,呼叫类型,业务类型,问题分类,座席工号,班组,区域,门店,客户编号,通话结果,排队时长,"
                    "振铃时长,响铃次数,保持时长,保持次数,通话时长,工单状态,解决时间,是否一次解决\n"
                    f"OLD1,{when},电话,呼入,售后,售后/安装,A1,售后一组,华东,上海店,,已接听,10,8,,0,0,100,{status},,否\n",
                    encoding="utf-8")


def test_a_stray_old_date_rebuilds_its_month_not_every_month_since(wh, tmp_path, monkeypatch):
    """A ticket dated 1990 among 2026's (plausible to the loader: after its earliest date): the
    roll-ups of events rebuild the months that hold data — 1990-03 and what the fixtures hold — not
    the 440 months between; the backlog (tickets open at each month's end) has rows in every month
    and is built for each.  Every month, with data or not, still answers as the facts do; a
    re-export that moves the ticket empties its old month in the roll-ups too."""
    from warehouse import rollups as store

    load_metric_fixtures(wh)
    _stray(tmp_path / "old.csv", "1990-03-05 10:00:00")
    built, real = [], store.build_month
    monkeypatch.setattr(store, "build_month", lambda conn, r, m: (built.append((r.name, m)), real(conn, r, m)))
    load_file(wh, "tickets", tmp_path / "old.csv")
    assert rollups.is_current(wh)
    tickets_months = sorted(m for name, m in built if name == "rollup_tickets_full")
    assert tickets_months[0] == date(1990, 3, 1) and len(tickets_months) <= 4        # 1990-03 and 2026-09…11
    assert len([m for name, m in built if name == "rollup_backlog_full"]) > 400      # 1990-03 … 2026-11
    with wh.connect() as conn:
        def months_of(table):
            return {str(m)[:7] for (m,) in conn.execute(sa.text(f"SELECT DISTINCT month FROM {table}"))}
        assert "1990-03" in months_of("rollup_tickets_full") and "2000-06" not in months_of("rollup_tickets_full")
        assert {"1990-03", "2000-06", "2026-10"} <= months_of("rollup_backlog_full")   # open all along
    for months in (["1990-03"], ["2000-06"], ["1990-03", "2000-06", "2026-10"]):
        assert_same(wh, months, ())
        assert_same(wh, months, ("team",))
    assert used(wh, ("team",), months=("2000-06",))["backlog"] == "rollup_backlog_org"
    _stray(tmp_path / "moved.csv", "1995-07-01 10:00:00", status="已解决")   # the same ticket, re-exported
    load_file(wh, "tickets", tmp_path / "moved.csv")
    with wh.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM rollup_tickets_full WHERE month = :m"),
                            {"m": date(1990, 3, 1)}).scalar() == 0
    for months in (["1990-03"], ["1995-07"], ["2000-06"]):
        assert_same(wh, months, ("team",))


def test_a_schema_6_warehouse_gains_every_month_and_its_backlog_rollups_are_rebuilt(wh):
    from warehouse.schema import SCHEMA_VERSION, ensure_schema

    load_metric_fixtures(wh)
    with wh.begin() as conn:   # as version 6 stored it: no column, the backlog built month by month too
        conn.execute(sa.text("ALTER TABLE rollups DROP COLUMN every_month"))
        conn.execute(sa.text("UPDATE schema_version SET version = 6"))
    assert ensure_schema(wh) == SCHEMA_VERSION == 10
    with wh.begin() as conn:
        conn.execute(sa.text("UPDATE rollups SET fingerprint = 'v6' WHERE name LIKE 'rollup_backlog%'"))
    assert {r["rollup"] for r in rollups.status(wh) if r["state"] == "stale"} == {"rollup_backlog_full", "rollup_backlog_org"}
    assert used(wh, ("team",))["backlog"] is None
    rollups.build(wh, only_stale=True)
    assert rollups.is_current(wh) and used(wh, ("team",))["backlog"] == "rollup_backlog_org"
    assert_same(wh, ["2026-10"], ("team",))


CROSSING = """订单编号,下单时间,付款时间,实付金额,退款金额,门店,区域,会员编号,会员等级,订单状态,客服工号,成本金额
S90,2026-10-25 10:00:00,2026-10-25 10:00:00,25,0,上海店,华东,K3,,交易成功,P1,
S91,2026-11-05 10:00:00,2026-11-05 10:00:00,35,0,北京店,华北,K3,,交易成功,,
S92,2026-11-20 10:00:00,2026-11-20 10:00:00,45,0,广州店,华南,K5,,交易成功,,
"""


def test_several_values_of_a_level_are_exact_from_the_level_rollups_and_the_crossing_customers(rwh, tmp_path):
    # K3 (广州店, 华南, 10-10) buys in 上海店 (华东) on 10-25 too: a customer of both regions and stores
    (tmp_path / "crossing.csv").write_text(CROSSING, encoding="utf-8")
    assert load_file(rwh, "sales", tmp_path / "crossing.csv").rows_rejected == 0
    assert rollups.is_current(rwh)
    with rwh.connect() as conn:
        crossers = conn.execute(sa.text("SELECT month, customer_id, region FROM rollup_buyers_cross_region"
                                        " ORDER BY 2, 3")).fetchall()
        stores = conn.execute(sa.text("SELECT month, customer_id, store FROM rollup_buyers_cross_store"
                                      " ORDER BY 1, 2, 3")).fetchall()
    # each (customer, value) stored once: in the month the customer came to have two (K3 in October,
    # K5 — 上海店 11-01, 广州店 11-20 — in November), or in the month a further value appears (K3 北京店)
    oct_, nov = date(2026, 10, 1), date(2026, 11, 1)
    assert sorted(tuple(r) for r in crossers) == sorted([(nov, "K3", "华北"), (oct_, "K3", "华东"), (oct_, "K3", "华南"),
                                                         (nov, "K5", "华东"), (nov, "K5", "华南")])
    assert sorted(tuple(r) for r in stores) == sorted([(oct_, "K3", "上海店"), (oct_, "K3", "广州店"),
                                                       (nov, "K3", "北京店"), (nov, "K5", "上海店"), (nov, "K5", "广州店")])
    both = Scope.of(regions=["华东", "华南"])
    assert used(rwh, (), scope=both)["buyers"] == "rollup_buyers_by_region+rollup_buyers_cross_region"
    assert used(rwh, ("month",), filters=Filters.of(store=["上海店", "广州店"]))["customers"] == (
        "rollup_customers_by_store+rollup_buyers_cross_store")
    # October's buyers over both regions: K1 K2 K3 K4 — K3 once (华东 counts K1 K2 K3 K4, 华南 K3)
    got = compute(rwh, ["buyers"], months=["2026-10"], scope=both)
    assert got["value"].tolist() == [4]
    kpis = [m.key for m in METRICS if m.source in ("buyers", "customers")]
    for scope, filters, dims, months in (
            (both, Filters(), (), ["2026-10"]),
            (both, Filters(), ("month",), ["2026-09", "2026-10", "2026-11"]),
            (Scope.all(), Filters.of(store=["上海店", "广州店"]), ("month",), ["2026-10", "2026-11"]),
            (Scope.of(stores=["上海店", "广州店"]), Filters.of(store=["上海店", "广州店", "北京店"]), (), ["2026-11"]),
            (Scope.all(), Filters.of(region=["华北", "华南", "华东"]), ("month",), ["2026-10", "2026-11"]),
            (Scope.of(teams=["售前一组", "售后二组"]), Filters(), ("month",), ["2026-09", "2026-10"])):
        assert_same(rwh, months, dims, scope=scope, filters=filters, kpis=kpis)
