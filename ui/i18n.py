"""Chinese first, English as a toggle: every label the pages show, in both languages."""
from __future__ import annotations

import functools

import streamlit as st

from metrics.registry import BY_KEY
from metrics.sources import DIMENSIONS

LANGS = {"zh": "中文", "en": "English"}

TEXT: dict[str, tuple[str, str]] = {
    "app": ("客服运营驾驶舱", "Service operations cockpit"),
    "lang": ("语言", "Language"),
    "filters": ("筛选", "Filters"),
    "from": ("开始月份", "From"),
    "to": ("结束月份", "To"),
    "all": ("全部", "All"),
    "page.overview": ("总览", "Overview"),
    "page.calls": ("话务", "Calls"),
    "page.tickets": ("工单", "Tickets"),
    "page.satisfaction": ("回访满意度", "Satisfaction"),
    "page.sales": ("销售转化", "Sales"),
    "page.matrix": ("团队×月份", "Team × month"),
    "page.detail": ("明细", "Detail"),
    "page.import": ("数据导入", "Import"),
    "page.settings": ("设置", "Settings"),
    "page.appraisal": ("绩效考核", "Appraisal"),
    "page.review": ("月度复盘", "Monthly review"),
    "empty": ("仓库还是空的：先到「数据导入」页上传导出文件，或运行 `make run` 导入演示数据。",
              "The warehouse is empty: upload exports on the Import page, or run `make run` for the demo data."),
    "go_import": ("去导入数据", "Go to import"),
    "no_data_month": ("{month}没有数据。", "No data for {month}."),
    "section.calls": ("话务", "Calls"),
    "section.satisfaction": ("回访与满意度", "Callbacks and satisfaction"),
    "section.sales": ("销售与转化", "Sales and conversion"),
    "target": ("目标", "Target"),
    "mom": ("环比", "MoM"),
    "yoy": ("同比", "YoY"),
    "incomplete": ("数据不全", "incomplete data"),
    "pending": ("延迟统计", "pending"),
    "status.green": ("达标", "on target"),
    "status.amber": ("接近", "near"),
    "status.red": ("未达标", "off target"),
    "status.grey": ("无目标", "no target"),
    "passport": ("口径", "Definition"),
    "formula": ("公式", "Formula"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "settings_used": ("所用设置", "Settings used"),
    "view_detail": ("查看明细", "View rows"),
    "by_month": ("按月趋势", "By month"),
    "by_team": ("各班组对比", "Teams side by side"),
    "heatmap_offered": ("呼入量：星期 × 小时", "Offered calls: weekday × hour"),
    "heatmap_rate": ("3声内接听率：星期 × 小时", "Answered within 3 rings: weekday × hour"),
    "weekday": ("星期", "Weekday"),
    "hour": ("小时", "Hour"),
    "volume_category": ("按问题分类的工单量", "Volume by category"),
    "volume_channel": ("按渠道的工单量", "Volume by channel"),
    "resolution_dist": ("处理时长分布（当月解决）", "Resolution time (resolved this period)"),
    "grade_mix": ("满意度构成 A/B/C/D", "Grade mix A/B/C/D"),
    "dissatisfied_list": ("不满意回访（C/D）", "Dissatisfied callbacks (C/D)"),
    "by_agent": ("按客服", "By agent"),
    "drill": ("区域 → 门店", "Region → store"),
    "region_pick": ("选择区域查看门店", "Pick a region to see its stores"),
    "kpi": ("指标", "KPI"),
    "rows": ("行", "Rows"),
    "months": ("月份", "Months"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_xlsx": ("下载 Excel", "Download Excel"),
    "part": ("口径部分", "Part"),
    "shown": ("显示 {n} 行（最多 {limit} 行）", "{n} rows shown (at most {limit})"),
    "bad_param": ("链接参数「{key}={value}」无效，已忽略：{why}", "Link parameter “{key}={value}” ignored: {why}"),
    "unknown_value": ("没有这个取值", "no such value"),
    "bad_month": ("不是 YYYY-MM 格式的已有月份", "not a loaded month in YYYY-MM"),
    "swapped": ("开始月份晚于结束月份，已对调。", "From was after To; swapped."),
    "imp.files": ("导出文件（CSV / Excel，可多选）", "Export files (CSV / Excel, several at once)"),
    "imp.kind": ("文件类型", "File kind"),
    "imp.auto": ("自动识别（按表头）", "Detect from the headers"),
    "imp.strict": ("严格模式：有任何坏行就整份文件不导入", "Strict: refuse the whole file if any row is bad"),
    "imp.go": ("导入", "Import"),
    "imp.log": ("导入日志", "Load log"),
    "imp.rejects": ("拒收的行", "Rejected rows"),
    "imp.mapping": ("映射文件（额外表头别名与取值）", "Mapping file (extra header aliases and value words)"),
    "imp.save_mapping": ("保存映射文件", "Save the mapping file"),
    "imp.mapping_saved": ("映射文件已保存，下次导入生效。", "Mapping file saved; it applies from the next import."),
    "set.save": ("保存设置", "Save settings"),
    "set.saved": ("设置已保存。", "Settings saved."),
    "set.targets": ("目标", "Targets"),
    "set.targets_file": ("从 Excel 导入目标（列：指标、范围、对象、生效月份、目标、黄色区间）",
                         "Import targets from Excel (columns 指标, 范围, 对象, 生效月份, 目标, 黄色区间)"),
    "set.import_targets": ("导入目标", "Import targets"),
    "set.imported": ("已导入 {n} 条目标。", "{n} targets imported."),
}


TEXT.update({
    "ap.division": ("考核对象", "Division"),
    "ap.month": ("考核月份", "Month"),
    "ap.tab.ranking": ("排名", "Ranking"),
    "ap.tab.card": ("个人考核表", "Agent form"),
    "ap.tab.inputs": ("考核录入", "Inputs"),
    "ap.tab.sampler": ("回访抽样", "Callback sample"),
    "ap.tab.plans": ("整改跟踪", "Rectification"),
    "ap.tab.year": ("年度汇总", "Year view"),
    "ap.tab.installers": ("装维单位", "Installer units"),
    "ap.tab.rules": ("考核规则", "Rules"),
    "ap.published": ("已发布（冻结）：{by} 于 {at}，规则版本 {version}。之后的数据导入不会改变本月得分。",
                     "Published (frozen) by {by} at {at}, rules {version}. Later loads do not change this month."),
    "ap.live": ("未发布：得分随数据与录入实时计算（规则版本 {version}）。",
                "Not published: scores follow the data and inputs live (rules {version})."),
    "ap.not_started": ("本月还没有任何考核录入：先在「考核录入」填写或导入。",
                       "Nothing entered for this month yet: fill in or import the inputs first."),
    "ap.publish": ("发布本月考核", "Publish this month"),
    "ap.republish": ("重新发布（重新计算并记录）", "Re-publish (recompute, logged)"),
    "ap.published_ok": ("已发布 {n} 人。", "{n} agents published."),
    "ap.agents": ("考核人数", "Agents"),
    "ap.mean": ("平均得分", "Mean score"),
    "ap.pay_total": ("绩效工资合计", "Performance pay total"),
    "ap.red": ("红线", "Red lines"),
    "ap.export": ("导出本月 Excel（汇总 + 每人一页）", "Export the month to Excel (summary + one sheet per agent)"),
    "ap.no_agents": ("这个月没有该业务的正式员工（人员名单）。", "No formal agents of this division in the roster for the month."),
    "ap.agent": ("被考核人", "Agent"),
    "ap.form_title": ("客服部{division}专员月份绩效考核表", "{division} agent monthly appraisal form"),
    "ap.score": ("得分", "Score"),
    "ap.pay": ("绩效工资", "Performance pay"),
    "ap.rank": ("名次", "Rank"),
    "ap.template": ("下载本月录入模板（已按人员名单预填）", "Download this month's input template (pre-filled)"),
    "ap.upload_hint": ("填好的模板在「数据导入」页上传（类型：月度考核录入），与其他导出一样逐行校验。",
                       "Upload the filled template on the Import page (kind: scorecard inputs); rows are checked."),
    "ap.save_inputs": ("保存修改", "Save changes"),
    "ap.saved_inputs": ("已保存 {n} 处修改，已记入审计。", "{n} changes saved and audited."),
    "ap.audit": ("修改记录", "Change log"),
    "ap.excuse": ("A1 免责（如系统故障）：工单/话单编号，逗号分隔", "Excuse calls from A1 (e.g. outage): ticket ids, comma-separated"),
    "ap.excuse_reason": ("免责原因", "Reason"),
    "ap.excuse_go": ("免责", "Excuse"),
    "ap.excused": ("已免责 {n} 通。", "{n} calls excused."),
    "ap.sampler_only": ("回访抽样针对售后专员。", "The callback sample is for after-sales agents."),
    "ap.progress": ("进度（已评 / 目标）", "Progress (graded / target)"),
    "ap.call_list": ("回访清单", "Call list"),
    "ap.no_plans": ("本月没有整改方案：发布考核后，末位人员会自动生成。",
                    "No rectification plans: they are created for the bottom agents when the month is published."),
    "ap.plan_submit": ("标记为已提交", "Mark submitted"),
    "ap.plan_accept": ("验收通过", "Accept"),
    "ap.plan_done": ("已更新。", "Updated."),
    "ap.year": ("{year} 年各月得分", "Scores by month, {year}"),
    "ap.units": ("装维单位月度得分（近12个月不合格次数）", "Installer units: score and strikes (trailing 12 months)"),
    "ap.coverage": ("装机次日回访覆盖（按网点和日期）", "Next-day callbacks of installations (unit × day)"),
    "ap.overdue": ("逾期未回访的装机单", "Installations not called back in time"),
    "ap.no_units": ("还没有装维单位考核数据：在「数据导入」页导入（类型：装维单位考核）。",
                    "No installer unit scores yet: import them on the Import page."),
    "ap.rules_in_force": ("本月生效的规则（与默认值不同的标 ●）", "Rules in force this month (● differs from default)"),
    "ap.rule_change": ("修改规则（从某月起生效，之前的月份不变）", "Change a rule (from a month on; earlier months keep theirs)"),
    "ap.rule_key": ("规则", "Rule"),
    "ap.rule_value": ("新值", "New value"),
    "ap.rule_from": ("生效月份", "Effective from"),
    "ap.rule_save": ("保存规则", "Save rule"),
    "ap.rule_saved": ("规则已保存。", "Rule saved."),
    "ap.rule_history": ("规则修改记录", "Rule history"),
    "ap.publish_log": ("发布记录", "Publish log"),
})


TEXT.update({
    "rv.level": ("复盘范围", "Pack scope"),
    "rv.value": ("对象", "Which"),
    "rv.none": ("{month}「{scope}」还没有复盘材料。生成后数字即冻结，之后导入新数据也不变。",
                "No pack yet for {month}, {scope}. Creating one freezes its figures; later loads do not change them."),
    "rv.create": ("生成并冻结复盘材料", "Create and freeze the pack"),
    "rv.doc_failed": ("{what}生成失败（{why}），另一种格式仍可下载；请联系管理员查看日志。",
                      "{what} could not be built ({why}); the other format still downloads. Ask an admin to check the log."),
    "rv.save": ("下载 {what}", "Download {what}"),
    "rv.building": ("正在生成 {what}…", "Building the {what}…"),
    "rv.meta": ("生成：{by} {at}；刷新：{refreshed}；考核规则版本 {rules}；数据版本 {data}",
                "Created by {by} at {at}; refreshed: {refreshed}; rules {rules}; data version {data}"),
    "rv.never": ("未刷新", "never"),
    "rv.refresh_ok": ("确认按当前数据重新生成（会记录操作人）", "Yes, rebuild from the current data (logged)"),
    "rv.refresh": ("刷新复盘材料", "Refresh the pack"),
    "rv.pdf": ("生成 PDF", "Build PDF"),
    "rv.xlsx": ("生成 Excel", "Build Excel"),
    "rv.comment": ("本节点评", "Comment on this section"),
    "rv.save_comment": ("保存点评", "Save comment"),
    "rv.saved": ("已保存。", "Saved."),
    "rv.add_action": ("新增行动项", "Add an action item"),
    "rv.title": ("行动项", "Action"),
    "rv.owner": ("负责人", "Owner"),
    "rv.due": ("截止日期", "Due"),
    "rv.add": ("添加", "Add"),
    "rv.status": ("更新状态", "Update status"),
    "rv.set_status": ("保存状态", "Save status"),
    "rv.log": ("生成与刷新记录", "Create and refresh log"),
    "rv.settings": ("计算口径", "Settings used"),
})


def lang() -> str:
    return st.session_state.get("ui.lang", "zh")


_lang = lang


def t(text_key: str, /, **kw) -> str:
    zh, en = TEXT[text_key]
    text = en if lang() == "en" else zh
    return text.format(**kw) if kw else text


def kpi_label(key: str, lang: str | None = None) -> str:
    m = BY_KEY[key]
    return m.label_en if (lang or _lang()) == "en" else m.label


def dim_label(key: str, lang: str | None = None) -> str:
    zh, en = DIMENSIONS[key]
    return en if (lang or _lang()) == "en" else zh


def bound(fn):
    """``fn`` with the viewer's language fixed now: a widget's ``format_func`` is also called outside the
    session (by AppTest), where the language would otherwise fall back to Chinese."""
    return functools.partial(fn, lang=_lang())


_VALUES = {"presales": ("售前", "Pre-sales"), "aftersales": ("售后", "After-sales"), "phone": ("电话", "Phone"),
           "online": ("在线", "Online"), "other": ("其他", "Other")}
WEEKDAYS = {"zh": "一二三四五六日", "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}


def value_label(v, lang: str | None = None) -> str:
    """Vocabulary values (presales, phone…) in the viewer's language; names as they are; empty as （未分配）."""
    zh = (lang or _lang()) == "zh"
    if v is None or (isinstance(v, float) and v != v):
        return "（未分配）" if zh else "(unassigned)"
    pair = _VALUES.get(str(v))
    return (pair[0] if zh else pair[1]) if pair else str(v)


def weekday(i: int) -> str:
    w = WEEKDAYS[lang()]
    return ("周" + w[i - 1]) if lang() == "zh" else w[i - 1]
