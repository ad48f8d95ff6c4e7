"""The scale generator: exports of a chain of any size, written by DuckDB straight to CSV.

Rows are functions of their index (``hash(i, k)`` gives the k-th uniform draw of row i), so the
files are the same on every machine and every run, and 10 M rows take seconds, not a Python loop.
The exports look like the demo's (``loaders/demo.py``): Chinese headers, vendor words, mm:ss
durations, ``¥`` amounts, ``="…"`` order ids, transfer legs and about one bad row in a thousand,
so the loader does all of its real work.  Timestamps rise with the row index, as exports do.

Files, in a folder named after every parameter of the scale (reused when already complete):
``roster.csv``, ``tickets_utf8.csv``, ``tickets_gbk.csv`` (the same text in GB18030),
``tickets_slice.csv`` (the first ``pandas_rows`` lines), ``tickets.xlsx`` (the first ``xlsx_rows``),
``callbacks.csv``, ``sales.csv``.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import duckdb

from bench.scales import TEAM_SIZE, Scale
from loaders.casts import sql_list

REGION_NAMES = ["华东", "华南", "华北", "华中", "西南", "西北"]
BAD_EVERY = 997          # one bad row in about a thousand: the rejects path is part of every load
LEG_EVERY = 1009         # one transferred call (two legs) in about a thousand

FILES = ("roster.csv", "tickets_utf8.csv", "tickets_gbk.csv", "tickets_slice.csv", "tickets.xlsx",
         "callbacks.csv", "sales.csv")


def _setup(con: duckdb.DuckDBPyConnection, s: Scale) -> None:
    start = f"DATE '{s.end_month}-01' - INTERVAL {s.months - 1} MONTH"
    con.execute(f"SET VARIABLE start_ts = CAST({start} AS TIMESTAMP)")
    con.execute(f"SET VARIABLE span_s = epoch(CAST(DATE '{s.end_month}-01' + INTERVAL 1 MONTH AS TIMESTAMP)"
                f" - getvariable('start_ts'))")
    con.execute("CREATE MACRO u(i, k) AS (hash(i, k) % 1000000) / 1000000.0")
    con.execute("CREATE MACRO pick(i, k, n) AS CAST(hash(i, k) % n AS BIGINT)")   # 0 … n-1
    # a row's moment: rows spread evenly over the period, in rising order
    con.execute("CREATE MACRO at_row(i, n) AS getvariable('start_ts') + "
                "to_seconds(CAST(floor((i + u(i, 2)) * getvariable('span_s') / n) AS BIGINT))")
    con.execute(f"""CREATE TABLE stores AS SELECT s AS store_idx,
        {sql_list(REGION_NAMES)}[s % {s.regions} + 1] AS region,
        {sql_list(REGION_NAMES)}[s % {s.regions} + 1] || lpad(CAST(s AS VARCHAR), 3, '0') || '店' AS store
        FROM range({s.stores}) r(s)""")
    con.execute(f"""CREATE TABLE agents AS SELECT a AS agent_idx, CAST(10001 + a AS VARCHAR) AS agent_id,
        '客服' || lpad(CAST(a AS VARCHAR), 3, '0') AS agent_name,
        a // {TEAM_SIZE} AS team_idx,
        CASE WHEN (a // {TEAM_SIZE}) % 2 = 0 THEN '售前' ELSE '售后' END AS division,
        CASE WHEN (a // {TEAM_SIZE}) % 2 = 0 THEN '售前' ELSE '售后' END
            || lpad(CAST((a // {TEAM_SIZE}) // 2 + 1 AS VARCHAR), 2, '0') || '组' AS team,
        (a // {TEAM_SIZE}) % 4 <> 3 AS phone,
        0.3 + 0.6 * u(a // {TEAM_SIZE}, 7) AS q
        FROM range({s.agents}) r(a)""")
    # an agent's store: one of the stores of the team's region (store s is in region s % regions)
    con.execute(f"""CREATE TABLE agent_home AS SELECT a.*, st.region, st.store
        FROM agents a JOIN stores st ON st.store_idx = (a.team_idx % {s.regions})
             + {s.regions} * (a.agent_idx % greatest(1, {s.stores} // {s.regions}))""")
    con.execute("CREATE TABLE presales AS SELECT row_number() OVER (ORDER BY agent_idx) - 1 AS k, agent_id "
                "FROM agents WHERE division = '售前'")


def _roster_sql(s: Scale) -> str:
    return f"""SELECT agent_id AS 工号, agent_name AS 姓名, team AS 班组, division AS 所属处, region AS 区域,
        store AS 门店, CASE WHEN agent_idx % {TEAM_SIZE} = 0 THEN '是' ELSE '' END AS 组长,
        '正式' AS 用工性质, strftime(getvariable('start_ts') - INTERVAL 365 DAY, '%Y-%m-%d') AS 入职日期
        FROM agent_home ORDER BY agent_idx"""


def _tickets_sql(s: Scale) -> str:
    answered_words = sql_list(["已接听", "双方接听", "正常结束"])
    missed_words = sql_list(["振铃放弃", "排队放弃", "客户速挂", "座席未接听"])
    pre_cats = sql_list(["售前/产品咨询", "售前/价格咨询", "售前/活动咨询", "售前/库存咨询"])
    after_cats = sql_list(["售后/安装预约", "售后/维修", "售后/退换货", "售后/物流查询", "售后/投诉/服务态度", "售后/投诉/产品质量"])
    online = sql_list(["千牛", "微信", "网页在线"])
    return f"""
    WITH base AS (
        SELECT i, at_row(i, {s.tickets}) AS created, a.*,
               u(i, 3) AS r_result, u(i, 6) AS r_ring
        FROM range({s.tickets}) t(i) JOIN agent_home a ON a.agent_idx = pick(i, 1, {s.agents})),
    calls AS (
        SELECT *, CASE WHEN phone AND r_result < 0.03 THEN 'not_offered'
                       WHEN r_result < 0.03 + 0.14 - 0.12 * q THEN 'missed' ELSE 'answered' END AS result,
                  u(i, 13) < 0.03 AS is_open
        FROM base),
    rows AS (
        SELECT i, 0 AS leg, 'C' || lpad(CAST(i AS VARCHAR), 9, '0') AS 通话ID,
            CASE WHEN i % {LEG_EVERY} = 3 THEN 'C' || lpad(CAST(i AS VARCHAR), 9, '0') ELSE '' END AS 主通话记录ID,
            strftime(created, '%Y-%m-%d %H:%M:%S') AS 来电时间,
            CASE WHEN phone THEN '400热线' ELSE {online}[pick(i, 19, 3) + 1] END AS 渠道,
            '呼入' AS 呼叫类型, division AS 业务类型,
            CASE WHEN division = '售前' THEN {pre_cats}[pick(i, 20, 4) + 1]
                 ELSE {after_cats}[pick(i, 20, 6) + 1] END AS 问题分类,
            CASE WHEN result = 'answered' THEN agent_id ELSE '' END AS 座席工号,
            CASE WHEN result = 'answered' THEN agent_name ELSE '' END AS 座席名称,
            team AS 技能组, region AS 区域, store AS 门店,
            'M' || lpad(CAST(pick(i, 16, {s.customers}) AS VARCHAR), 7, '0') AS 客户编号,
            '1' || CAST(30 + pick(i, 17, 69) AS VARCHAR) || lpad(CAST(pick(i, 18, 100000000) AS VARCHAR), 8, '0')
                AS 客户号码,
            CASE result WHEN 'answered' THEN {answered_words}[pick(i, 5, 3) + 1]
                        WHEN 'missed' THEN {missed_words}[pick(i, 4, 4) + 1] ELSE 'IVR放弃' END AS 通话结果,
            CAST(CAST(floor(u(i, 8) * 40 * (1 - q)) AS BIGINT) AS VARCHAR) AS 排队时长,
            CASE WHEN i % {BAD_EVERY} = 17 THEN '约半分钟'
                 WHEN result = 'answered' THEN CAST(CAST(floor(r_ring * (4 + 20 * (1 - q))) AS BIGINT) AS VARCHAR)
                 ELSE CAST(CAST(floor(r_ring * 30) AS BIGINT) AS VARCHAR) END AS 振铃时长,
            CASE WHEN result = 'answered' AND u(i, 9) < 0.06 THEN CAST(CAST(floor(5 + u(i, 10) * 60) AS BIGINT) AS VARCHAR)
                 ELSE '0' END AS 保持时长,
            CASE WHEN result = 'answered' AND u(i, 9) < 0.06 THEN CASE WHEN u(i, 11) < 0.1 THEN '2' ELSE '1' END
                 ELSE '0' END AS 保持次数,
            CASE WHEN result = 'answered' THEN
                 lpad(CAST(CAST(floor(30 + u(i, 12) * 400) AS BIGINT) // 60 AS VARCHAR), 2, '0') || ':' ||
                 lpad(CAST(CAST(floor(30 + u(i, 12) * 400) AS BIGINT) % 60 AS VARCHAR), 2, '0')
                 ELSE '00:00' END AS 通话时长,
            CASE WHEN is_open THEN '处理中' WHEN u(i, 14) < 0.5 THEN '已解决' ELSE '已关闭' END AS 工单状态,
            CASE WHEN is_open THEN ''
                 ELSE strftime(created + to_seconds(CAST(60 + u(i, 15) * 172800 AS BIGINT)), '%Y/%m/%d %H:%M') END
                AS 解决时间,
            CASE WHEN is_open THEN '' WHEN u(i, 21) < 0.6 + 0.3 * q THEN '是' ELSE '否' END AS 是否一次解决
        FROM calls)
    SELECT * EXCLUDE (i, leg) FROM (
        SELECT * FROM rows
        UNION ALL   -- the second leg of a transferred call: same parent id, answered at once
        SELECT i, 1 AS leg, 通话ID || '-2', 通话ID, 来电时间, 渠道, 呼叫类型, 业务类型, 问题分类, 座席工号, 座席名称, 技能组,
               区域, 门店, 客户编号, 客户号码, 通话结果, '0', '4', 保持时长, 保持次数, 通话时长, 工单状态, 解决时间, 是否一次解决
        FROM rows WHERE 主通话记录ID <> '')
    ORDER BY i, leg"""


def _callbacks_sql(s: Scale) -> str:
    grades = sql_list(["非常满意", "满意", "一般", "不满意"])
    per = max(1, s.tickets // max(1, s.callbacks))
    return f"""
    SELECT 'HF' || lpad(CAST(j AS VARCHAR), 9, '0') AS 回访编号,
           'C' || lpad(CAST(k AS VARCHAR), 9, '0') AS 关联工单,
           strftime(at_row(k, {s.tickets}) + INTERVAL 1 DAY + to_seconds(CAST(u(j, 22) * 86400 AS BIGINT)),
                    '%Y-%m-%d %H:%M:%S') AS 回访时间,
           CASE WHEN u(j, 23) < 0.85 THEN '已回访' ELSE '无人接听' END AS 回访结果,
           CASE WHEN u(j, 23) >= 0.85 THEN ''
                WHEN j % {BAD_EVERY} = 29 THEN '超级满意'
                ELSE {grades}[CASE WHEN u(j, 24) < 0.35 + 0.4 * a.q THEN 1 WHEN u(j, 24) < 0.8 + 0.1 * a.q THEN 2
                                   WHEN u(j, 24) < 0.93 + 0.05 * a.q THEN 3 ELSE 4 END] END AS 满意度,
           CAST(10001 + pick(j, 25, {s.agents}) AS VARCHAR) AS 回访人,
           CASE WHEN u(j, 26) < 0.05 THEN '上门太慢' ELSE '' END AS 客户意见
    FROM (SELECT j, least({s.tickets} - 1, j * {per} + pick(j, 21, {per})) AS k FROM range({s.callbacks}) c(j)) c
    JOIN agents a ON a.agent_idx = pick(c.k, 1, {s.agents})
    ORDER BY j"""


def _sales_sql(s: Scale) -> str:
    statuses = sql_list(["交易成功", "卖家已发货，等待买家确认", "等待买家付款", "交易关闭", "退款成功"])
    levels = sql_list(["", "普通会员", "银卡会员", "金卡会员"])
    n_pre = f"(SELECT count(*) FROM presales)"
    return f"""
    WITH o AS (
        SELECT n, at_row(n, {s.sales}) AS ordered, round(50 + 950 * u(n, 30) * u(n, 30), 2) AS amount,
               CASE WHEN u(n, 31) < 0.82 THEN 1 WHEN u(n, 31) < 0.90 THEN 2 WHEN u(n, 31) < 0.94 THEN 3
                    WHEN u(n, 31) < 0.97 THEN 4 ELSE 5 END AS st,
               u(n, 33) < 0.3 AS online
        FROM range({s.sales}) r(n))
    SELECT '="' || CAST(9000000000 + n AS VARCHAR) || '"' AS 订单编号,
           strftime(ordered, '%Y-%m-%d %H:%M:%S') AS 买家下单时间,
           CASE WHEN st = 3 THEN '' ELSE strftime(ordered + to_seconds(CAST(10 + u(n, 34) * 890 AS BIGINT)),
                                                  '%Y-%m-%d %H:%M:%S') END AS 买家付款时间,
           CASE WHEN n % {BAD_EVERY} = 41 THEN '¥abc' ELSE '¥' || printf('%.2f', amount) END AS 买家实际支付金额,
           CASE WHEN st = 5 THEN printf('%.2f', amount)
                WHEN st = 1 AND u(n, 35) < 0.04 THEN printf('%.2f', round(amount * 0.3, 2))
                ELSE '无退款申请' END AS 退款金额,
           st_.store AS 门店名称, st_.region AS 区域,
           'M' || lpad(CAST(pick(n, 32, {s.customers}) AS VARCHAR), 7, '0') AS 会员编号,
           {levels}[pick(n, 36, 4) + 1] AS 会员等级,
           {statuses}[st] AS 订单状态,
           CASE WHEN online THEN '线上' ELSE '门店' END AS 订单来源,
           CASE WHEN online THEN p.agent_id ELSE '' END AS 接待客服,
           CAST(1 + pick(n, 37, 3) AS VARCHAR) AS 宝贝总数量
    FROM o
    JOIN stores st_ ON st_.store_idx = pick(n, 38, {s.stores})
    LEFT JOIN presales p ON p.k = pick(n, 39, {n_pre})
    ORDER BY n"""


def _copy(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    """Empty cells as exports write them: nothing between the commas (DuckDB would quote '')."""
    sql = f"SELECT nullif(CAST(COLUMNS(*) AS VARCHAR), '') FROM ({sql})"
    con.execute(f"COPY ({sql}) TO '{path}' (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"')")


def _to_gbk(src: Path, dst: Path) -> None:
    """The same text in GB18030 (GBK's superset), as the vendors' Windows exports come."""
    with open(src, encoding="utf-8", newline="") as fin, open(dst, "w", encoding="gb18030", newline="") as fout:
        while chunk := fin.read(8 << 20):
            fout.write(chunk)


def _head(src: Path, dst: Path, rows: int) -> None:
    with open(src, encoding="utf-8", newline="") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        for n, line in enumerate(fin):
            if n > rows:
                break
            fout.write(line)


def _xlsx(con: duckdb.DuckDBPyConnection, src: Path, dst: Path, rows: int) -> None:
    """The first ``rows`` tickets as an Excel export: numbers as numbers, the rest as text."""
    import xlsxwriter

    rel = con.execute(f"SELECT * FROM read_csv('{src}', all_varchar=true, header=true) LIMIT {rows}")
    names = [d[0] for d in rel.description]
    numeric = {names.index(c) for c in ("排队时长", "保持时长", "保持次数")}
    wb = xlsxwriter.Workbook(str(dst), {"constant_memory": True})
    ws = wb.add_worksheet("通话记录")
    ws.write_row(0, 0, names)
    r = 1
    while batch := rel.fetchmany(10_000):
        for row in batch:
            ws.write_row(r, 0, [float(v) if k in numeric and v and v.isdigit() else (v or "")
                                for k, v in enumerate(row)])
            r += 1
    wb.close()


def generate(scale: Scale, root: str | Path, log=print) -> Path:
    """Write the scale's exports under ``root`` (once: a complete folder is reused); returns the folder."""
    folder = Path(root) / scale.key()
    manifest = folder / "manifest.json"
    if manifest.exists() and all((folder / f).exists() for f in FILES):
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    _setup(con, scale)
    _copy(con, _roster_sql(scale), folder / "roster.csv")
    _copy(con, _tickets_sql(scale), folder / "tickets_utf8.csv")
    log(f"  生成 tickets_utf8.csv {_mb(folder / 'tickets_utf8.csv')}")
    _to_gbk(folder / "tickets_utf8.csv", folder / "tickets_gbk.csv")
    _head(folder / "tickets_utf8.csv", folder / "tickets_slice.csv", scale.pandas_rows)
    _xlsx(con, folder / "tickets_utf8.csv", folder / "tickets.xlsx", scale.xlsx_rows)
    _copy(con, _callbacks_sql(scale), folder / "callbacks.csv")
    _copy(con, _sales_sql(scale), folder / "sales.csv")
    con.close()
    sizes = {f: (folder / f).stat().st_size for f in FILES}
    manifest.write_text(json.dumps({"scale": asdict(scale), "bytes": sizes,
                                    "seconds": round(time.perf_counter() - started, 1)}, ensure_ascii=False, indent=1))
    log(f"  生成完毕 {folder}（{time.perf_counter() - started:.0f} 秒）")
    return folder


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:,.0f} MB"
