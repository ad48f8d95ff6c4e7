"""Pages with the roll-ups, and many managers at once (issue 17).

**Page goals** (``page_goals``), through Streamlit's ``AppTest`` on the scale's warehouse with its
roll-ups current: the overview's first open (caches empty), then 10 filter changes — regions,
stores and teams in turn, each value not seen before, so its figures are not cached and the
queries run — p95 and worst; beside them a rerun with nothing changed (the cache).  Then every
other page after one filter change.

**Many managers at once** (``concurrency``): 20 signed-in sessions, each a different manager
(a region, a store or a team, from the ``viewers`` table), open the overview at the same moment
on one real ``streamlit run`` server.  The light client is Streamlit's own session protocol
(``bench/client.py``: the websocket, ``BackMsg``/``ForwardMsg``), from 20 threads of the bench
process.  Time to content is from the request to the session's last KPI card; the server's CPU
time per session is the server process's CPU time over the run divided by the sessions.  The same
again while a tickets file loads.
"""
from __future__ import annotations

import importlib
import os
import statistics
import threading
import time
from pathlib import Path

from bench.measure import ROOT, Figure, under

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "bench-secret",
        "client_id": "dashboard", "client_secret": "x",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]


def _clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def _session(db: str, month: str, email: str | None = None):
    from streamlit.testing.v1 import AppTest

    os.environ["CSDASH_DB"] = db
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    if email:
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": email, "name": email}
    at.query_params["from"] = month
    at.query_params["to"] = month
    return at


def _check(at, what: str) -> None:
    if at.exception:
        raise RuntimeError(f"{what} 出错：{[e.value for e in at.exception]}")
    if not at.metric:
        raise RuntimeError(f"{what} 没有显示任何 KPI 卡片")


def ensure_rollups(db: str, log=print) -> Figure:
    from metrics import rollups
    from warehouse import open_warehouse

    wh = open_warehouse(db)
    t0 = time.perf_counter()
    built = rollups.build(wh, only_stale=True)
    seconds = time.perf_counter() - t0
    sizes = {r["rollup"]: r["rows"] for r in rollups.status(wh)}
    wh.dispose()
    log(f"  汇总表：重建 {len(built)} 张，{seconds:.1f} 秒；行数 {sizes}")
    total = sum(sizes.values())
    return Figure("汇总 rollup", "全部汇总表重建（每月 × 全粒度与组织粒度）", seconds, "s",
                  note=f"{len(sizes)} 张，共 {total:,} 行；最大 " +
                       "、".join(f"{k.removeprefix('rollup_')} {v:,}" for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])[:3]))


def first_open(db: str, month: str, what: str):
    """(the session, seconds) of the overview opened with every cache empty."""
    _clear_caches()
    at = _session(db, month)
    t0 = time.perf_counter()
    at.run()
    at.switch_page("pages/overview.py")
    at.run()
    seconds = time.perf_counter() - t0
    _check(at, what)
    return at, seconds


def filter_changes(at, per_level: tuple[int, int, int], changes: int, what: str) -> list[float]:
    """Seconds of each rerun after a filter change: the first ``per_level`` regions, stores and teams in
    turn, one at a time and nothing else chosen, each value not seen before (its figures not cached)."""
    picks = []
    for key, n in zip(("f.region", "f.store", "f.team"), per_level):
        picks += [(key, v) for v in list(at.multiselect(key=key).options)[:n]]
    times = []
    for key, value in picks[:changes]:
        for other in ("f.region", "f.store", "f.team"):
            at.multiselect(key=other).set_value([value] if other == key else [])
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        _check(at, what)
    return times


def page_goals(db: str, month: str, rows: int, changes: int = 10, log=print) -> list[Figure]:
    from ui.router import PAGES

    # "first open" = the first manager after a load on a running server: the program's modules are
    # imported (a server imports them once), every cache is empty (they are keyed by data version)
    for module in ("ui.router", "ui.data", "ui.filters", "ui.widgets", "ui.charts", "ui.tables", "ui.access",
                   "plotly.graph_objects"):
        importlib.import_module(module)
    at, first = first_open(db, month, "总览")
    times = filter_changes(at, (4, 3, 3), changes, "总览")
    t0 = time.perf_counter()
    at.run()
    cached = time.perf_counter() - t0
    log(f"  总览：首次打开 {first:.2f} 秒；筛选切换 " + " / ".join(f"{s:.2f}" for s in times) + f"；缓存 {cached:.2f}")
    figures = [
        Figure("页面 page", f"总览切换区域/门店/班组筛选后重跑 p95（{changes} 次，{rows:,} 行仓库，汇总表）", p95(times), "s",
               "无改动重跑（缓存命中）", cached, "< 0.5 s", under(0.5),
               note=f"最慢 {max(times):.2f} 秒，中位 {statistics.median(times):.2f} 秒"),
        Figure("页面 page", f"总览首次打开（导入后缓存为空，服务已运行，{rows:,} 行仓库）", first, "s", goal="< 2 s",
               check=under(2.0)),
    ]
    # every other page: open it, then one filter change not seen before — two regions, and nothing else
    # (the store and team picks of the overview's changes are cleared first: they would shrink the data)
    for other in ("f.store", "f.team"):
        at.multiselect(key=other).set_value([])
    at.run()
    regions = list(at.multiselect(key="f.region").options)
    slowest, per_page = 0.0, []
    for i, entry in enumerate(p for p in PAGES if p[0] != "pages/overview.py"):
        page = entry[0]
        at.switch_page(page)
        at.run()
        if at.exception or "f.region" not in [m.key for m in at.multiselect]:
            continue   # a page without the filters (imports, settings, users): nothing to change
        at.multiselect(key="f.region").set_value([regions[(i + 1) % len(regions)], regions[(i + 2) % len(regions)]])
        t0 = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"{page} 出错：{[e.value for e in at.exception]}")
        per_page.append(f"{Path(page).stem} {seconds:.2f}")
        slowest = max(slowest, seconds)
    log("  其他页面筛选切换：" + "；".join(per_page))
    figures.append(Figure("页面 page", "其他页面切换区域筛选后重跑（最慢一页）", slowest, "s", goal="< 1 s", check=under(1.0),
                          note="；".join(per_page)))
    return figures


def _managers(db: str, n: int) -> list[str]:
    """``n`` managers, each with another scope (regions, stores, teams in turn), in the viewers table."""
    import sqlalchemy as sa

    from warehouse import access, open_warehouse

    wh = open_warehouse(db)
    with wh.connect() as conn:
        regions = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT region FROM roster WHERE region IS NOT NULL ORDER BY 1"))]
        stores = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT store FROM sales WHERE store IS NOT NULL ORDER BY 1 LIMIT 50"))]
        teams = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT team FROM roster WHERE team IS NOT NULL ORDER BY 1"))]
    people = []
    for i in range(n):
        level = ("regions", "stores", "teams")[i % 3]
        values = {"regions": regions, "stores": stores, "teams": teams}[level]
        people.append(access.Viewer(f"m{i:02d}@bench.cn", f"经理{i:02d}", "manager",
                                    **{level: (values[(i // 3) % len(values)],)}))
    access.save_viewers(wh, people, by="bench")
    wh.dispose()
    return [p.email for p in people]


def _crowd(server, month: str, emails: list[str]) -> tuple[list[float], list[str], float]:
    """Every session opens the overview at the same moment: (seconds to content each, errors, the
    server's CPU seconds over the run)."""
    from bench.client import visit

    start = threading.Barrier(len(emails))
    times, errors = [0.0] * len(emails), []

    def one(i: int) -> None:
        start.wait()
        try:
            v = visit(server, emails[i], f"from={month}&to={month}")
            times[i] = v.seconds
            errors.extend(f"{emails[i]}: {e}" for e in v.errors)
        except Exception as exc:   # reported, never hidden: an error fails the figure
            errors.append(f"{emails[i]}: {exc!r}"[:300])

    cpu = server.cpu_seconds()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(emails))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors, server.cpu_seconds() - cpu


def _clear_server_caches(server) -> None:
    """A fresh server would have empty caches: restart is too slow, so the bench asks the app's own
    cache-clearing the way the frontend's "Clear cache" does (BackMsg.clear_cache)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string
    from websockets.sync.client import connect

    token = generate_xsrf_token_string()
    with connect(server.base.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit", token],
                 origin=server.base, additional_headers={"Cookie": f"_streamlit_xsrf={token}"}) as ws:
        back = BackMsg()
        back.clear_cache = True
        ws.send(back.SerializeToString())
        time.sleep(0.5)


def concurrency(db: str, month: str, rows: int, work: Path, load_file_path: str | None = None,
                sessions: int = 20, label: str = "DuckDB", log=print) -> list[Figure]:
    """20 managers at once on one real server (``bench.client``), then again while a file loads.

    The load runs beside the server: on PostgreSQL a loader process (``python -m loaders``); a DuckDB
    file has one writing process, so there the loader is the same CLI and waits for the server's
    connections (``warehouse.db``'s lock wait), which is what the second figure measures."""
    import subprocess
    import sys

    from bench.client import serve

    emails = _managers(db, sessions)
    server = serve(db, work / "server")
    try:
        from bench.client import visit

        visit(server, emails[0], f"from={month}&to={month}")   # the process warm: imports, first connection
        _clear_server_caches(server)
        times, errors, cpu = _crowd(server, month, emails)
        log(f"  {sessions} 个会话同时打开总览：p50 {statistics.median(times):.2f} 秒，p95 {p95(times):.2f} 秒，"
            f"服务端 CPU {cpu:.1f} 秒，错误 {len(errors)}")
        figures = [Figure("并发 sessions", f"{sessions} 位经理同时打开总览（{label}，{rows:,} 行，各自范围，汇总表）",
                          p95(times), "s", goal="p95 < 2 s", check=lambda f, bad=list(errors): f.ours < 2.0 and not bad,
                          note=f"p50 {statistics.median(times):.2f} 秒；每会话服务端 CPU {cpu / sessions:.2f} 秒；"
                               f"错误 {len(errors)}" + (f"：{errors[0]}" if errors else ""))]
        if load_file_path:
            loader = subprocess.Popen([sys.executable, "-m", "loaders", "--db", db, "load", "tickets", load_file_path],
                                      cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(2.0)          # the load is parsing: the sessions arrive while it runs
            _clear_server_caches(server)
            times, errors, cpu = _crowd(server, month, emails)
            still_loading = loader.poll() is None
            out, err = loader.communicate()
            if loader.returncode != 0:
                errors.append(f"load exit {loader.returncode}: {err.strip()[-300:]}")
            log(f"  导入期间：p50 {statistics.median(times):.2f} 秒，p95 {p95(times):.2f} 秒，错误 {len(errors)}，"
                f"会话结束时导入{'仍在进行' if still_loading else '已完成'}")
            figures.append(Figure(
                "并发 sessions", f"同上，同时导入 {Path(load_file_path).name}（{label}）", p95(times), "s",
                goal="p95 < 3 s", check=lambda f, bad=list(errors): f.ours < 3.0 and not bad,
                note=f"p50 {statistics.median(times):.2f} 秒；每会话服务端 CPU {cpu / sessions:.2f} 秒；错误 {len(errors)}；"
                     f"会话结束时导入{'仍在进行' if still_loading else '已完成'}" + (f"：{errors[0]}" if errors else "")))
    finally:
        server.stop()
    return figures


def chromium_page(db: str, month: str, rows: int, work: Path, changes: int = 5, log=print) -> list[Figure]:
    """The overview in headless Chromium (Debian ``chromium``, PyPI ``playwright``): time from the
    navigation to the last KPI card drawn, for the first open and after region changes (each a URL
    the manager could bookmark: ``?region=…``), on one real server.  Skipped when no Chromium."""
    chromium = "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return []
    if not Path(chromium).exists():
        return []
    import sqlalchemy as sa

    from bench.client import serve
    from warehouse import open_warehouse

    wh = open_warehouse(db)
    with wh.connect() as conn:
        regions = [r[0] for r in conn.execute(sa.text(
            "SELECT DISTINCT region FROM roster WHERE region IS NOT NULL ORDER BY 1"))][:changes]
    wh.dispose()
    server = serve(db, work / "chromium", auth=False)
    cards_drawn = """() => document.querySelectorAll('[data-testid="stMetricValue"]').length >= 15
        && !document.querySelector('[data-testid="stStatusWidget"]')"""
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            page.set_default_timeout(600_000)
            t0 = time.perf_counter()
            page.goto(f"{server.base}/?from={month}&to={month}", wait_until="commit")
            page.wait_for_function(cards_drawn, polling=50)
            first = time.perf_counter() - t0
            times = []
            for region in regions:
                t0 = time.perf_counter()
                page.goto(f"{server.base}/?from={month}&to={month}&region={region}", wait_until="commit")
                page.wait_for_function(cards_drawn, polling=50)
                times.append(time.perf_counter() - t0)
            browser.close()
    finally:
        server.stop()
    log(f"  Chromium：首次打开 {first:.2f} 秒；切换区域 " + " / ".join(f"{s:.2f}" for s in times))
    return [Figure("页面 page", f"Chromium：总览按区域打开，导航到最后一张卡片（{len(times)} 个区域，{rows:,} 行）", max(times), "s",
                   goal="< 2 s", check=under(2.0),
                   note="各次 " + " / ".join(f"{s:.2f}" for s in times) + f" 秒；首次打开（新进程、缓存为空）{first:.2f} 秒")]
