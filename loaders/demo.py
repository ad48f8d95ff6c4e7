"""Demo exports in the messy real formats, loaded through the same loaders.

3 regions, 10 stores, 6 teams of 8–10 agents (pre-sales and after-sales, phone and online),
12 months with seasonality (双十一 and 年货节 peaks, 春节 trough) and teams that visibly differ.
Files written, as the vendors' systems write them:

- ``人员名单.xlsx``           roster (Excel)
- ``通话工单_YYYYMM-YYYYMM.csv``  tickets: GBK, a title line, Chinese headers, mm:ss durations,
  vendor result words, transfer legs, a 合计 row and a handful of bad rows
- ``回访记录.xlsx``           callbacks (Excel), a few orphans and a few bad grades
- ``销售订单.csv``            sales: UTF-8 with BOM, ¥ amounts with separators, Taobao statuses
- ``月度考核录入.xlsx``       scorecard inputs (Excel), one row per agent and month
- ``重点客户名单.csv``         key customers (the CRM team's list), called back within 3 days
- ``客户投诉登记表.xlsx``     the complaint register (Excel): complaints, opinions and suggestions at
  every stage of the loop, some overdue, a few verified against installer units
- ``门店档案.xlsx`` ``门店经营目标.xlsx`` ``门店检查.xlsx`` ``库存快照.csv`` ``应收账款.xlsx`` ``促销活动.csv``
  store operations: the master, monthly targets per store, category-standard / QSC / IGA audits,
  inventory snapshots five days a month, receivables of the stores' concession merchants, campaigns

Deterministic: the same arguments give the same files.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.pipeline import LoadReport, load_file

REGIONS = {
    "华东": ["上海徐汇店", "上海浦东店", "杭州西湖店", "南京新街口店"],
    "华南": ["广州天河店", "深圳南山店", "佛山祖庙店"],
    "华北": ["北京朝阳店", "北京海淀店", "天津和平店"],
}
# name, division, channel, region, size, quality (0 weak … 1 strong)
TEAMS = [
    ("售前一组", "presales", "phone", "华东", 9, 0.85),
    ("售前二组", "presales", "online", "华南", 8, 0.55),
    ("售前三组", "presales", "phone", "华北", 10, 0.35),
    ("售后一组", "aftersales", "phone", "华东", 9, 0.75),
    ("售后二组", "aftersales", "phone", "华南", 8, 0.45),
    ("售后三组", "aftersales", "online", "华北", 10, 0.65),
]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然欣怡子涵梓轩雨桐思远嘉琪俊")
SEASON = {1: 1.05, 2: 0.75, 3: 0.95, 4: 0.95, 5: 1.0, 6: 1.1, 7: 0.95, 8: 0.95, 9: 1.0, 10: 1.05, 11: 1.4, 12: 1.2}
PRESALES_CATS = ["售前/产品咨询", "售前/价格咨询", "售前/活动咨询", "售前/库存咨询"]
AFTERSALES_CATS = ["售后/安装预约", "售后/维修", "售后/退换货", "售后/物流查询", "售后/投诉/服务态度", "售后/投诉/产品质量"]
ANSWER_WORDS = ["已接听", "双方接听", "正常结束"]
MISSED_WORDS = ["振铃放弃", "排队放弃", "客户速挂", "座席未接听"]


def _months(end_month: str | None, months: int) -> list[pd.Period]:
    end = pd.Period(end_month, "M") if end_month else pd.Period(date.today(), "M") - 1
    return [end - k for k in range(months - 1, -1, -1)]


def make_roster(rng: np.random.Generator, start: date) -> pd.DataFrame:
    rows, agent = [], 1001
    used = set()
    for team, division, channel, region, size, _q in TEAMS:
        stores = REGIONS[region]
        for k in range(size):
            while True:
                name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN, size=rng.integers(1, 3)))
                if name not in used:
                    used.add(name)
                    break
            rows.append({
                "工号": str(agent), "姓名": name, "旺旺": f"{team[:2]}_{name}" if channel == "online" else "",
                "班组": team, "所属处": "售前" if division == "presales" else "售后", "区域": region,
                "门店": stores[k % len(stores)], "组长": "是" if k == 0 else "",
                "用工性质": "试用" if k == size - 1 else "正式", "入职日期": start.isoformat(),
            })
            agent += 1
    df = pd.DataFrame(rows)
    df["组长"] = df.groupby("班组")["姓名"].transform("first")
    return df


def make_tickets(rng: np.random.Generator, roster: pd.DataFrame, months: list[pd.Period]) -> pd.DataFrame:
    team_info = {t[0]: t for t in TEAMS}
    parts = []
    seq = 0
    for m in months:
        days = m.days_in_month
        for _, a in roster.iterrows():
            team, division, channel, region, _size, q = team_info[a["班组"]]
            base = 260 if channel == "phone" else 320
            n = int(rng.poisson(base * SEASON[m.month] * (0.9 + 0.2 * rng.random())))
            day = rng.integers(0, days, n)
            hour = rng.choice(np.arange(8, 22), n, p=_hour_weights())
            secs = rng.integers(0, 3600, n)
            created = (pd.Timestamp(m.start_time) + pd.to_timedelta(day, "D") + pd.to_timedelta(hour, "h")
                       + pd.to_timedelta(secs, "s"))
            u = rng.random(n)
            p_answer = 0.86 + 0.12 * q
            result = np.where(u < 0.03, "not_offered", np.where(u < 0.03 + (1 - p_answer), "missed",
                              np.where(u < 0.035 + (1 - p_answer), "voicemail", "answered")))
            if channel == "online":
                result = np.where(result == "not_offered", "answered", result)
            # rings: strong teams answer fast (ring cycle 5 s): 0–10 % of answers after the 3rd ring
            ring = np.where(result == "answered", rng.gamma(2.0, 1.5 + 3.5 * (1 - q), n), rng.gamma(1.5, 6.0, n))
            queue = rng.exponential(6 + 25 * (1 - q), n)
            talk = rng.gamma(3.0, 60.0 if division == "presales" else 90.0, n)
            # holds: the appraisal deducts for > 30 s (A5) and for a second hold (A6), so they are rare
            long_hold = rng.random(n) < (0.002 + 0.02 * (1 - q))
            hold = np.where(long_hold, rng.uniform(31, 150, n), np.where(rng.random(n) < 0.06, rng.uniform(5, 30, n), 0))
            hold_count = np.where(hold > 0, np.where(rng.random(n) < 0.05 + 0.2 * (1 - q), 2, 1), 0)
            cats = PRESALES_CATS if division == "presales" else AFTERSALES_CATS
            cat_p = None if division == "presales" else [0.25, 0.2, 0.2, 0.25, 0.05 * (1.6 - q), 0.05 * (1.6 - q)]
            if cat_p:
                cat_p = np.array(cat_p) / sum(cat_p)
            category = rng.choice(cats, n, p=cat_p)
            resolve_h = rng.gamma(2.0, 4 + 14 * (1 - q), n)
            resolved = created + pd.to_timedelta(np.round(resolve_h * 3600), "s")
            open_ = rng.random(n) < 0.03
            status = np.where(open_, "处理中", np.where(rng.random(n) < 0.5, "已解决", "已关闭"))
            fcr = rng.random(n) < (0.6 + 0.3 * q)
            customers = rng.integers(1, 30000, n)
            answered = result == "answered"
            word = np.where(answered, rng.choice(ANSWER_WORDS, n),
                            np.where(result == "missed", rng.choice(MISSED_WORDS, n),
                                     np.where(result == "voicemail", "已留言", "IVR放弃")))
            ids = np.arange(seq, seq + n)
            seq += n
            df = pd.DataFrame({
                "通话ID": [f"C{m.year}{m.month:02d}{i:07d}" for i in ids],
                "主通话记录ID": "",
                "来电时间": created.strftime("%Y-%m-%d %H:%M:%S"),
                "渠道": "400热线" if channel == "phone" else rng.choice(["千牛", "微信", "网页在线"], n),
                "呼叫类型": "呼入",
                "业务类型": "售前" if division == "presales" else "售后",
                "问题分类": category,
                "座席工号": np.where(answered, a["工号"], ""),
                "座席名称": np.where(answered, a["姓名"], ""),
                "技能组": team, "区域": region, "门店": a["门店"],
                "客户编号": [f"M{c:06d}" for c in customers],
                "客户号码": [f"1{rng.integers(30, 99)}{rng.integers(0, 10**8):08d}" for _ in range(n)],
                "通话结果": word,
                "排队时长": np.round(queue).astype(int),
                "振铃时长": np.round(ring).astype(int),
                "保持时长": np.where(answered, np.round(hold).astype(int), 0),
                "保持次数": np.where(answered, hold_count, 0),
                "通话时长": [f"{int(t) // 60:02d}:{int(t) % 60:02d}" if ok else "00:00" for t, ok in zip(talk, answered)],
                "工单状态": status,
                "解决时间": np.where(open_, "", resolved.strftime("%Y/%m/%d %H:%M")),
                "是否一次解决": np.where(open_, "", np.where(fcr, "是", "否")),
            })
            # not-answered contacts are assigned to the agent's team only; the queue row keeps the store
            parts.append(df)
    tickets = pd.concat(parts, ignore_index=True)
    return tickets


def _hour_weights() -> np.ndarray:
    w = np.array([3, 7, 9, 10, 8, 6, 8, 9, 9, 8, 7, 8, 7, 5], dtype=float)
    return w / w.sum()


def add_legs_and_bad_rows(rng: np.random.Generator, tickets: pd.DataFrame) -> pd.DataFrame:
    """A few transferred calls (two legs sharing a parent id) and the bad rows real files have."""
    answered = tickets.index[tickets["通话结果"].isin(ANSWER_WORDS)].to_numpy()
    legs = rng.choice(answered, 40, replace=False)
    extra = tickets.loc[legs].copy()
    tickets.loc[legs, "主通话记录ID"] = tickets.loc[legs, "通话ID"]
    extra["主通话记录ID"] = extra["通话ID"]
    extra["通话ID"] = extra["通话ID"] + "-2"
    extra["排队时长"] = 0
    extra["振铃时长"] = 4
    tickets = pd.concat([tickets, extra], ignore_index=True)
    bad = tickets.sample(6, random_state=7).astype(object)
    bad["通话ID"] = bad["通话ID"] + "X"
    bad.iloc[0, bad.columns.get_loc("来电时间")] = "2026-02-30 10:00"      # no such day
    bad.iloc[1, bad.columns.get_loc("通话结果")] = "呼叫中"                  # unknown result word
    bad.iloc[2, bad.columns.get_loc("振铃时长")] = -3                        # negative duration
    bad.iloc[3, bad.columns.get_loc("排队时长")] = "约半分钟"                 # not a duration
    bad.iloc[4, bad.columns.get_loc("通话结果")] = "已接听"
    bad.iloc[4, bad.columns.get_loc("座席工号")] = ""                        # answered without agent
    bad.iloc[5, bad.columns.get_loc("工单状态")] = "已删除"                   # skipped, counted
    total = {c: "" for c in tickets.columns}
    total["通话ID"] = "合计"
    return pd.concat([tickets, bad, pd.DataFrame([total])], ignore_index=True)


def make_callbacks(rng: np.random.Generator, tickets: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    team_q = {t[0]: t[5] for t in TEAMS}
    after = tickets[(tickets["业务类型"] == "售后") & tickets["工单状态"].isin(["已解决", "已关闭"])
                    & (tickets["座席工号"] != "") & (tickets["主通话记录ID"] == "")]
    q = after["技能组"].map(team_q).to_numpy()
    covered = rng.random(len(after)) < (0.55 + 0.4 * q)
    sel = after[covered]
    q = q[covered]
    n = len(sel)
    resolved = pd.to_datetime(sel["解决时间"], format="%Y/%m/%d %H:%M")
    delay_days = np.where(rng.random(n) < 0.5 + 0.4 * q, 1, rng.integers(2, 5, n))
    at = resolved.dt.normalize() + pd.to_timedelta(delay_days, "D") + pd.to_timedelta(rng.integers(9 * 3600, 18 * 3600, n), "s")
    reached = rng.random(n) < 0.85
    u = rng.random(n)
    grade = np.select([u < 0.35 + 0.4 * q, u < 0.8 + 0.1 * q, u < 0.93 + 0.05 * q], ["非常满意", "满意", "一般"], "不满意")
    grade = np.where(reached, grade, "")
    result = np.where(reached, "已回访", rng.choice(["无人接听", "关机", "拒访"], n))
    comments = np.where(grade == "不满意", rng.choice(["上门太慢", "态度一般", "问题没解决", "多次来电才处理"], n),
                        np.where(grade == "一般", rng.choice(["还行", "时间有点长", ""], n), ""))
    callers = roster.loc[roster["班组"].str.startswith("售后"), "工号"].to_numpy()
    df = pd.DataFrame({
        "回访编号": [f"HF{i:07d}" for i in range(n)],
        "关联工单": sel["通话ID"].to_numpy(),
        "回访时间": at.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(),
        "回访结果": result, "满意度": grade, "回访人": rng.choice(callers, n), "客户意见": comments,
    })
    orphans = df.sample(5, random_state=3).copy()
    orphans["回访编号"] = orphans["回访编号"] + "-O"
    orphans["关联工单"] = "C-UNKNOWN-" + orphans["回访编号"]
    bad = df.sample(3, random_state=4).copy()
    bad["回访编号"] = bad["回访编号"] + "-B"
    bad["满意度"] = ["超级满意", "7分", "满意+"]
    return pd.concat([df, orphans, bad], ignore_index=True)


def make_sales(rng: np.random.Generator, tickets: pd.DataFrame, roster: pd.DataFrame,
               months: list[pd.Period]) -> pd.DataFrame:
    team_q = {t[0]: t[5] for t in TEAMS}
    pre = tickets[(tickets["业务类型"] == "售前") & (tickets["通话ID"].str.startswith("C"))
                  & (tickets["主通话记录ID"] == "")]
    pre = pre[pd.to_datetime(pre["来电时间"], errors="coerce").notna()]
    q = pre["技能组"].map(team_q).to_numpy()
    conv = rng.random(len(pre)) < (0.12 + 0.3 * q)
    src = pre[conv]
    lag_h = rng.gamma(1.5, 8.0, len(src))
    ordered = pd.to_datetime(src["来电时间"]) + pd.to_timedelta(np.round(lag_h * 3600), "s")
    conv_df = pd.DataFrame({"ordered": ordered.to_numpy(), "customer": src["客户编号"].to_numpy(),
                            "store": src["门店"].to_numpy(), "region": src["区域"].to_numpy(),
                            "agent": src["座席工号"].to_numpy(), "channel": "线上"})
    walk = []
    store_region = [(s, r) for r, ss in REGIONS.items() for s in ss]
    for m in months:
        for i, (store, region) in enumerate(store_region):
            n = int(rng.poisson(420 * SEASON[m.month] * (0.7 + 0.06 * i)))
            t = pd.Timestamp(m.start_time) + pd.to_timedelta(rng.integers(0, m.days_in_month * 86400, n), "s")
            walk.append(pd.DataFrame({"ordered": t, "customer": [f"M{c:06d}" for c in rng.integers(1, 30000, n)],
                                      "store": store, "region": region, "agent": "", "channel": "门店"}))
    df = pd.concat([conv_df, *walk], ignore_index=True).sort_values("ordered", kind="stable").reset_index(drop=True)
    end = pd.Timestamp(months[-1].end_time)
    df = df[df["ordered"] <= end].reset_index(drop=True)
    n = len(df)
    amount = np.round(rng.lognormal(5.6, 0.7, n), 2)
    u = rng.random(n)
    status = np.select([u < 0.82, u < 0.9, u < 0.94, u < 0.97], ["交易成功", "卖家已发货，等待买家确认", "等待买家付款",
                                                                  "交易关闭"], "退款成功")
    refund = np.where(status == "退款成功", amount, np.where((status == "交易成功") & (rng.random(n) < 0.04),
                                                            np.round(amount * 0.3, 2), 0.0))
    paid = np.where(status == "等待买家付款", "", (df["ordered"] + pd.to_timedelta(rng.integers(10, 900, n), "s"))
                    .dt.strftime("%Y-%m-%d %H:%M:%S"))
    level = rng.choice(["", "普通会员", "银卡会员", "金卡会员"], n, p=[0.4, 0.3, 0.2, 0.1])
    out = pd.DataFrame({
        "订单编号": [f'="{9000000000 + i}"' for i in range(n)],   # Excel text guard, as many exports have
        "买家下单时间": df["ordered"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        "买家付款时间": paid,
        "买家实际支付金额": [f"¥{a:,.2f}" for a in amount],
        "退款金额": np.where(refund > 0, [f"{r:.2f}" for r in refund], "无退款申请"),
        "门店名称": df["store"], "区域": df["region"], "会员编号": df["customer"], "会员等级": level,
        "订单状态": status, "订单来源": df["channel"], "接待客服": df["agent"],
        "宝贝总数量": rng.integers(1, 4, n),
    })
    # the cost of goods (inventory turnover): a margin per store, no draw from the generator (so the
    # files generated after this one stay as they were)
    margin = {s: 0.55 + 0.05 * (i % 4) for i, s in enumerate(s for ss in REGIONS.values() for s in ss)}
    out["成本金额"] = [f"{a * margin[s]:.2f}" for a, s in zip(amount, df["store"])]
    bad = out.sample(3, random_state=5).copy()
    bad["订单编号"] = bad["订单编号"].str.replace('"', "") + "B"
    bad["买家实际支付金额"] = ["¥abc", "-¥20.00", "¥12.00"]
    bad["订单状态"] = ["交易成功", "交易成功", "神秘状态"]
    return pd.concat([out, bad], ignore_index=True)


def make_scorecard_inputs(rng: np.random.Generator, roster: pd.DataFrame, months: list[pd.Period]) -> pd.DataFrame:
    rows = []
    for m in months:
        for _, a in roster.iterrows():
            rows.append({
                "考核月份": f"{m.year}年{m.month}月", "工号": a["工号"], "姓名": a["姓名"],
                "监听扣分": int(rng.choice([0, 2, 4, 6, 8], p=[0.4, 0.25, 0.2, 0.1, 0.05])),
                "纪律扣分": int(rng.choice([0, 3, 5], p=[0.7, 0.2, 0.1])),
                "笔试分数": int(rng.integers(60, 100)),
                "工作态度": rng.choice(list("ABBBC")), "日志周报迟交次数": int(rng.poisson(0.5)),
                "违规次数": int(rng.poisson(0.3)), "团队协作": rng.choice(list("AABBC")),
                "建议采纳次数": int(rng.poisson(0.4)), "客户投诉次数": int(rng.poisson(0.2)), "红线事件": "",
            })
    return pd.DataFrame(rows)


def make_installer_scores(rng: np.random.Generator, months: list[pd.Period]) -> pd.DataFrame:
    """Each store's installer unit: four components out of 25 each (a weak unit or two dips under 80)."""
    rows = []
    for region, stores in REGIONS.items():
        for k, store in enumerate(stores):
            weak = 1.2 if k == len(stores) - 1 else 0
            for m in months:
                parts = np.clip(rng.normal(21.5 - weak, 1.8, 4), 10, 25).round(1)
                rows.append({"考核月份": f"{m.year}-{m.month:02d}", "装维单位": store, "装移机及时率": parts[0],
                             "维护质量": parts[1], "客户服务": parts[2], "机房管理": parts[3]})
    return pd.DataFrame(rows)


COMPLAINT_CATEGORIES = ("安装预约", "上门服务", "退款进度", "产品质量", "服务态度", "配送时效")
DEPARTMENTS = ("装维部", "客服部", "财务部", "物流部", "质量部")


def make_complaints(rng: np.random.Generator, tickets: pd.DataFrame, months: list[pd.Period]) -> pd.DataFrame:
    """About one contact in 250 becomes a register row (70 % complaints); weak teams draw more.  The
    last month's rows are still moving through the loop; earlier ones are mostly closed."""
    team_q = {t[0]: t[5] for t in TEAMS}
    q = tickets["技能组"].map(team_q).fillna(0.5).to_numpy()
    picked = tickets[rng.random(len(tickets)) < 0.002 + 0.006 * (1 - q)]
    # the tickets file's deliberately bad rows (2026-02-30…) are not complaints
    picked = picked[pd.to_datetime(picked["来电时间"], errors="coerce", format="%Y-%m-%d %H:%M:%S").notna()]
    n = len(picked)
    received = pd.to_datetime(picked["来电时间"], format="%Y-%m-%d %H:%M:%S") + pd.to_timedelta(rng.integers(60, 3600, n), "s")
    cls = rng.choice(["投诉", "意见", "建议"], n, p=[0.7, 0.2, 0.1])
    is_complaint = cls == "投诉"
    valid = is_complaint & (rng.random(n) < 0.65)
    judged = is_complaint & (rng.random(n) < 0.95)
    # the department a complaint is about is named when it is judged, valid or not
    dept = np.where(judged, rng.choice(DEPARTMENTS, n, p=[0.35, 0.25, 0.15, 0.15, 0.1]), "")
    last = pd.Timestamp(months[-1].start_time)
    recent = (received >= last).to_numpy()
    stage_u = rng.random(n)
    # how far each row got: older rows 97 % resolved, the last month's rows spread over the stages
    resolved_ok = np.where(recent, stage_u < 0.6, stage_u < 0.97)
    hours = rng.gamma(2.0, 30.0, n)
    resolved = received + pd.to_timedelta(np.round(hours * 3600), "s")
    called = resolved_ok & (rng.random(n) < 0.85)
    callback = resolved + pd.to_timedelta(rng.integers(2 * 3600, 96 * 3600, n), "s")
    grade = rng.choice(["非常满意", "满意", "一般", "不满意"], n, p=[0.35, 0.4, 0.15, 0.1])
    unit = np.where((picked["问题分类"].astype(str).str.contains("安装|上门")) & valid, picked["门店"], "")
    fmt = "%Y-%m-%d %H:%M:%S"
    return pd.DataFrame({
        "投诉编号": [f"TS{i:06d}" for i in range(n)],
        "投诉时间": received.dt.strftime(fmt).to_numpy(),
        "投诉渠道": np.where(picked["渠道"] == "400热线", "电话", "在线"),
        "投诉热线": np.where(picked["渠道"] == "400热线", rng.choice(["400-800-1", "400-800-2"], n), ""),
        "类型": cls,
        "投诉分类": rng.choice(COMPLAINT_CATEGORIES, n),
        "投诉内容": rng.choice(["师傅上门迟到两小时", "退款一周还没到账", "客服态度冷淡", "商品有划痕", "希望增加晚间配送",
                               "预约时间被改了三次"], n),
        "客户情绪": rng.choice(["愤怒", "焦虑", "悲伤", "喧哗", "平静"], n, p=[0.25, 0.3, 0.05, 0.1, 0.3]),
        "客户编号": picked["客户编号"].to_numpy(),
        "联系电话": picked["客户号码"].to_numpy(),
        "门店": picked["门店"].to_numpy(), "区域": picked["区域"].to_numpy(), "班组": picked["技能组"].to_numpy(),
        "责任人工号": picked["座席工号"].to_numpy(),
        "装维单位": unit,
        "是否成立": np.where(judged, np.where(valid, "成立", "不成立"), ""),
        "责任部门": dept,
        "核查属实": np.where(unit != "", np.where(rng.random(n) < 0.8, "属实", "不属实"), ""),
        "处理方案": np.where(valid & (resolved_ok | (stage_u < 0.8)), "致歉并跟进处理", ""),
        "审批人": np.where(valid & (resolved_ok | (stage_u < 0.7)), rng.choice(["王经理", "李主管"], n), ""),
        "解决时间": np.where(resolved_ok, resolved.dt.strftime(fmt), ""),
        "回访时间": np.where(called, callback.dt.strftime(fmt), ""),
        "回访满意度": np.where(called, grade, ""),
        "关联工单": picked["通话ID"].to_numpy(),
    })


def make_key_customers(rng: np.random.Generator, tickets: pd.DataFrame) -> pd.DataFrame:
    """80 customers of after-sales contacts, the CRM team's hand-kept list."""
    ids = sorted(set(tickets.loc[tickets["业务类型"] == "售后", "客户编号"].dropna()))
    chosen = sorted(rng.choice(ids, size=min(80, len(ids)), replace=False))
    return pd.DataFrame({"客户编号": chosen, "客户名称": [f"重点客户{i + 1:03d}" for i in range(len(chosen))],
                         "客户等级": rng.choice(["A", "B"], len(chosen), p=[0.4, 0.6]),
                         "认定日期": "2026-01-01", "客户经理": rng.choice(["周经理", "吴经理"], len(chosen))})


CATEGORIES = ["生鲜", "日化", "家电", "食品", "酒饮", "母婴"]


def make_stores() -> pd.DataFrame:
    """The store master: one flagship per region, the others standard; sizes and areas by position."""
    rows = []
    for region, stores in REGIONS.items():
        for k, store in enumerate(stores):
            rows.append({"门店名称": store, "门店编码": f"S{len(rows) + 1:03d}", "所属区域": region,
                         "门店类型": "旗舰店" if k == 0 else "标准店", "规模等级": "A" if k < 2 else "B",
                         "营业面积": 1200 if k == 0 else 600 - 80 * k, "开业日期": f"{2015 + len(rows) % 7}-0{1 + k}-15",
                         "闭店日期": "", "店长": f"{SURNAMES[len(rows)]}店长"})
    return pd.DataFrame(rows)


def _paid_revenue(sales: pd.DataFrame) -> pd.DataFrame:
    """Paid revenue per store and month of the demo orders (for targets near what the stores sell)."""
    ok = sales["订单状态"].isin(["交易成功", "卖家已发货，等待买家确认"])
    amount = pd.to_numeric(sales["买家实际支付金额"].str.replace("[¥,]", "", regex=True), errors="coerce")
    refund = pd.to_numeric(sales["退款金额"], errors="coerce").fillna(0)
    month = pd.to_datetime(sales["买家下单时间"], errors="coerce").dt.to_period("M")
    frame = pd.DataFrame({"store": sales["门店名称"], "month": month, "revenue": (amount - refund).where(ok)})
    return frame.dropna().groupby(["store", "month"], as_index=False)["revenue"].sum()


def make_store_targets(rng: np.random.Generator, sales: pd.DataFrame) -> pd.DataFrame:
    """Each store's monthly targets: revenue near what it sold (some stores short of it), stock-outs,
    collection and the QSC score."""
    rows = []
    for r in _paid_revenue(sales).itertuples():
        month = f"{r.month.year}-{r.month.month:02d}"
        rows.append({"月份": month, "门店": r.store, "指标": "销售额",
                     "目标": round(r.revenue * float(rng.uniform(0.92, 1.12)), -3)})
        rows.append({"月份": month, "门店": r.store, "指标": "缺货率", "目标": "5%"})
        rows.append({"月份": month, "门店": r.store, "指标": "回款率", "目标": "95%"})
        rows.append({"月份": month, "门店": r.store, "指标": "QSC得分", "目标": 85})
    return pd.DataFrame(rows)


def make_store_audits(rng: np.random.Generator, months: list[pd.Period]) -> pd.DataFrame:
    """Monthly category-standard checks on three categories, a monthly QSC, a quarterly IGA five-star."""
    rows = []
    stores = [s for ss in REGIONS.values() for s in ss]
    for m in months:
        for i, store in enumerate(stores):
            base = 88 - 2.5 * (i % 5)
            day = lambda d: f"{m.year}-{m.month:02d}-{d:02d}"  # noqa: E731
            for c in CATEGORIES[:3]:
                rows.append({"检查编号": f"C{m.year}{m.month:02d}{i:02d}{c}", "检查日期": day(8), "门店": store,
                             "检查类型": "品类标准", "品类": c, "得分": float(np.clip(rng.normal(base, 5), 55, 100).round(1)),
                             "品质": "", "服务": "", "清洁": "", "检查人": "品类督导"})
            q, s, c = (float(np.clip(rng.normal(v * base / 100, 2.5), 0, v).round(1)) for v in (40, 30, 30))
            rows.append({"检查编号": f"Q{m.year}{m.month:02d}{i:02d}", "检查日期": day(18), "门店": store,
                         "检查类型": "QSC", "品类": "", "得分": round(q + s + c, 1), "品质": q, "服务": s, "清洁": c,
                         "检查人": "营运督导"})
            if m.month % 3 == 0:
                rows.append({"检查编号": f"I{m.year}{m.month:02d}{i:02d}", "检查日期": day(25), "门店": store,
                             "检查类型": "IGA五星", "品类": "", "得分": float(np.clip(rng.normal(base, 4), 60, 100).round(1)),
                             "品质": "", "服务": "", "清洁": "", "检查人": "IGA评审"})
    return pd.DataFrame(rows)


def make_inventory(rng: np.random.Generator, months: list[pd.Period]) -> pd.DataFrame:
    """Snapshots on the 1st, 8th, 15th, 22nd and last day of each month, per store and category."""
    rows = []
    stores = [s for ss in REGIONS.values() for s in ss]
    for m in months:
        days = [1, 8, 15, 22, m.days_in_month]
        for i, store in enumerate(stores):
            for k, c in enumerate(CATEGORIES):
                level = 9000 + 1800 * k + 700 * (i % 4)
                for d in days:
                    out = rng.random() < 0.03 + 0.02 * (i % 3)
                    qty = 0 if out else int(rng.integers(20, 300))
                    rows.append({"日期": f"{m.year}-{m.month:02d}-{d:02d}", "门店": store, "商品编码": f"{c}-{k:02d}",
                                 "品类": c, "库存数量": qty,
                                 "库存金额": 0 if out else round(level * float(rng.uniform(0.7, 1.3)), 2)})
    return pd.DataFrame(rows)


def make_receivables(rng: np.random.Generator, months: list[pd.Period]) -> pd.DataFrame:
    """Three merchants' receivables per store and month; recent ones partly collected."""
    rows = []
    stores = [s for ss in REGIONS.values() for s in ss]
    for j, m in enumerate(months):
        age = len(months) - 1 - j
        for i, store in enumerate(stores):
            for k in range(3):
                due = round(float(rng.uniform(20000, 80000)), 2)
                share = 1.0 if age >= 2 and rng.random() < 0.9 else float(rng.uniform(0.4, 1.0))
                rows.append({"单据编号": f"AR{m.year}{m.month:02d}{i:02d}{k}", "单据日期": f"{m.year}-{m.month:02d}-{5 + 9 * k:02d}",
                             "门店": store, "商户": f"联营商户{(i + k) % 7 + 1}", "应收金额": due,
                             "已收金额": round(due * share, 2)})
    return pd.DataFrame(rows)


def make_campaigns(months: list[pd.Period]) -> pd.DataFrame:
    """The chain's campaigns within the demo's months (双十一, 国庆, 年货节) and a regional one."""
    rows = []
    for m in months:
        last = m.days_in_month
        if m.month == 11:
            rows.append({"活动名称": f"{m.year}双十一", "开始日期": f"{m.year}-11-01", "结束日期": f"{m.year}-11-11",
                         "区域": "", "门店": "", "说明": "全场满减"})
        if m.month == 10:
            rows.append({"活动名称": f"{m.year}国庆促销", "开始日期": f"{m.year}-10-01", "结束日期": f"{m.year}-10-07",
                         "区域": "", "门店": "", "说明": "国庆七天乐"})
            rows.append({"活动名称": f"{m.year}华南月末周末", "开始日期": f"{m.year}-10-{last - 2:02d}",
                         "结束日期": f"{m.year}-11-01", "区域": "华南", "门店": "", "说明": "跨月活动"})
        if m.month == 1:
            rows.append({"活动名称": f"{m.year}年货节", "开始日期": f"{m.year}-01-10", "结束日期": f"{m.year}-01-25",
                         "区域": "", "门店": "", "说明": ""})
    return pd.DataFrame(rows, columns=["活动名称", "开始日期", "结束日期", "区域", "门店", "说明"])


def write_demo(out_dir: str | Path, months: int = 12, end_month: str | None = None,
               seed: int = 20261) -> list[tuple[str, Path]]:
    """Write the demo exports; returns (kind, path) in the order they must load."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ms = _months(end_month, months)
    roster = make_roster(rng, ms[0].start_time.date())
    tickets = make_tickets(rng, roster, ms)
    callbacks = make_callbacks(rng, tickets, roster)
    sales = make_sales(rng, tickets, roster, ms)
    tickets = add_legs_and_bad_rows(rng, tickets)
    inputs = make_scorecard_inputs(rng, roster, ms)
    files = []
    p = out / "人员名单.xlsx"
    roster.to_excel(p, index=False, sheet_name="花名册", engine="xlsxwriter")
    files.append(("roster", p))
    p = out / f"通话工单_{ms[0].strftime('%Y%m')}-{ms[-1].strftime('%Y%m')}.csv"
    with open(p, "w", encoding="gb18030", newline="") as fh:
        fh.write(f"导出时间：{datetime.now():%Y-%m-%d %H:%M:%S}，呼叫中心通话记录\n")
        tickets.to_csv(fh, index=False)
    files.append(("tickets", p))
    p = out / "回访记录.xlsx"
    callbacks.to_excel(p, index=False, sheet_name="回访", engine="xlsxwriter")
    files.append(("callbacks", p))
    p = out / "销售订单.csv"
    sales.to_csv(p, index=False, encoding="utf-8-sig")
    files.append(("sales", p))
    p = out / "月度考核录入.xlsx"
    inputs.to_excel(p, index=False, sheet_name="考核", engine="xlsxwriter")
    files.append(("scorecard_inputs", p))
    p = out / "装维单位考核.csv"
    make_installer_scores(rng, ms).to_csv(p, index=False, encoding="utf-8-sig")
    files.append(("installer_scores", p))
    p = out / "客户投诉登记表.xlsx"   # its own generator: the files above stay as they were
    make_complaints(np.random.default_rng(seed + 19), tickets, ms).to_excel(p, index=False, sheet_name="投诉登记",
                                                                            engine="xlsxwriter")
    files.append(("complaints", p))
    p = out / "重点客户名单.csv"
    make_key_customers(np.random.default_rng(seed + 23), tickets).to_csv(p, index=False, encoding="utf-8-sig")
    files.append(("key_customers", p))
    # store operations, each from its own generator (the files above stay as they were)
    p = out / "门店档案.xlsx"
    make_stores().to_excel(p, index=False, sheet_name="门店", engine="xlsxwriter")
    files.append(("stores", p))
    p = out / "门店经营目标.xlsx"
    make_store_targets(np.random.default_rng(seed + 29), sales).to_excel(p, index=False, sheet_name="目标",
                                                                         engine="xlsxwriter")
    files.append(("store_targets", p))
    p = out / "门店检查.xlsx"
    make_store_audits(np.random.default_rng(seed + 31), ms).to_excel(p, index=False, sheet_name="检查", engine="xlsxwriter")
    files.append(("store_audits", p))
    p = out / "库存快照.csv"
    make_inventory(np.random.default_rng(seed + 37), ms).to_csv(p, index=False, encoding="utf-8-sig")
    files.append(("inventory_snapshots", p))
    p = out / "应收账款.xlsx"
    make_receivables(np.random.default_rng(seed + 41), ms).to_excel(p, index=False, sheet_name="应收", engine="xlsxwriter")
    files.append(("receivables", p))
    p = out / "促销活动.csv"
    make_campaigns(ms).to_csv(p, index=False, encoding="utf-8-sig")
    files.append(("campaigns", p))
    return files


def load_demo(wh, months: int = 12, out_dir: str | Path = "data/demo", end_month: str | None = None,
              user: str = "demo") -> list[LoadReport]:
    """Load the demo exports.  Their appraisal history (every month but the last published, as the
    company would have at each review) is the appraisal layer's: ``python -m appraisal demo-history``."""
    return [load_file(wh, kind, path, user=user) for kind, path in write_demo(out_dir, months, end_month)]
