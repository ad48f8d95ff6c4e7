"""Value vocabularies from the data contract, and the one function that maps a word.

Mapping happens on the *distinct* words of a column (a few dozen at most), never per row; the
pipeline joins the result back in SQL.  Matching: exact after normalisation (spaces and
punctuation removed, upper case), then — for vocabularies marked ``contains`` — the longest
known word contained in the value.  A tie between classes resolves to the most conservative one
(``CONSERVATIVE``), so a vendor word is never read as *answered* when it also says *missed*.
A word nobody knows maps to ``None`` and the row is rejected with the word in the reason.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import texts

SKIP = "__skip__"    # the row is skipped and counted (已删除, 已撤回)
EMPTY = "__empty__"  # a known word that means "no value" (未评价…)


@dataclass(frozen=True)
class Vocabulary:
    name: str
    words: dict[str, tuple[str, ...]]   # value → words
    contains: bool = False
    default: str | None = None          # value for a word matching nothing (channel → other)
    priority: tuple[str, ...] = ()      # tie-break, first wins


V = Vocabulary
VOCABULARIES: dict[str, Vocabulary] = {v.name: v for v in (
    V("call_result", {
        "answered": ("已接听", "接听", "座席接听", "双方接听", "双方已接听", "接通", "已接通", "正常通话", "正常结束", "通话",
                     "dealing", "ANSWERED", "是", "Y", "1", "true"),
        "missed": ("振铃未接听", "已呼叫座席,座席未接听", "座席侧未接听", "排队放弃", "排队时用户放弃", "振铃放弃",
                   "振铃时用户放弃", "客户速挂", "排队超时", "排队溢出", "转人工失败", "客服未接", "客服拒接", "访客未接",
                   "坐席未接通", "未接", "未接通", "放弃", "呼损", "notDeal", "queueLeak", "NO ANSWER", "否", "N", "0", "2",
                   "false"),
        "not_offered": ("IVR", "IVR放弃", "IVR期间用户放弃", "IVR全自动结束", "智能导航中放弃", "系统接听", "系统未接",
                        "系统未应答", "未找到座席侧", "黑名单", "呼入黑名单", "并发限制", "无座席在线", "非工作时间", "leak",
                        "blackList"),
        "voicemail": ("已留言", "转语音邮箱", "VOICEMAIL"),
    }, contains=True, priority=("not_offered", "voicemail", "missed", "answered")),
    V("channel", {
        "phone": ("电话", "热线", "语音", "呼叫中心", "400", "呼入", "AUDIO", "phone"),
        "online": ("在线", "网页", "web", "H5", "PC", "APP", "微信", "企业微信", "小程序", "千牛", "旺旺", "QQ", "微博",
                   "即时聊天", "chat", "online"),
    }, contains=True, default="other", priority=("phone", "online")),
    V("direction", {
        "in": ("呼入", "普通来电", "来电转接", "直线呼入", "in", "inbound"),
        "out": ("呼出", "外呼", "去电", "回拨", "out", "outbound"),
        "internal": ("内部", "internal"),
    }, contains=True, priority=("internal", "out", "in")),
    V("division", {"presales": ("售前", "presales"), "aftersales": ("售后", "aftersales")}, contains=True),
    V("ticket_status", {
        "open": ("未受理", "待受理", "受理中", "处理中", "等待回复", "待回应", "已开启", "新建", "暂停", "open", "pending", "hold"),
        "resolved": ("已解决", "已完结", "完结", "已完成", "处理完成", "solved", "resolved"),
        "closed": ("已关闭", "关闭", "已关单", "closed"),
        SKIP: ("已删除", "已撤回"),
    }),
    V("bool", {"true": ("是", "Y", "1", "true", "yes", "成立", "属实", "有效"),
               "false": ("否", "N", "0", "2", "false", "no", "不成立", "不属实", "无效")}),
    V("complaint_class", {"opinion": ("意见", "opinion"), "complaint": ("投诉", "complaint"),
                          "suggestion": ("建议", "suggestion")}, contains=True,
      priority=("complaint", "opinion", "suggestion")),
    V("emotion", {"angry": ("愤怒", "生气", "angry"), "anxious": ("焦虑", "着急", "anxious"), "sad": ("悲伤", "sad"),
                  "noisy": ("喧哗", "吵闹", "noisy"), "calm": ("平静", "正常", "calm")}),
    V("hangup_side", {
        "customer": ("客户", "用户", "主叫"), "agent": ("座席", "坐席", "客服"), "system": ("系统", "其他"),
    }, contains=True, priority=("system", "agent", "customer")),
    V("callback_result", {
        "reached": ("回访成功", "已回访", "成功", "接通", "已接通", "双方接听", "客户已接听"),
        "unreached": ("未接通", "无人接听", "客户未接听", "关机", "空号", "停机", "欠费", "忙", "占线", "不在服务区",
                      "超时未回复"),
        "refused": ("拒访", "拒绝", "拒接", "拒绝评价"),
    }, contains=True, priority=("refused", "unreached", "reached")),
    V("satisfaction", {
        "A": ("非常满意", "很满意", "5", "5分", "5星", "★★★★★"),
        "B": ("满意", "比较满意", "4", "4分", "4星", "★★★★"),
        "C": ("一般", "基本满意", "不太满意", "3", "3分", "3星", "★★★"),
        "D": ("不满意", "不满", "很不满意", "很不满", "非常不满意", "极不满意", "1", "2", "1分", "2分", "1星", "2星", "★★", "★"),
        EMPTY: ("未评价", "超时未回复", "评价错误", "-1"),
    }),
    V("order_status", {
        "completed": ("交易成功", "完成", "已完成", "订单完成", "交易完成", "已签收"),
        "paid": ("买家已付款,等待卖家发货", "卖家已发货,等待买家确认", "等待卖家发货", "待发货", "卖家已发货", "等待买家确认", "已发货", "等待确认收货",
                 "等待出库"),
        "unpaid": ("等待买家付款", "待付款", "未付款"),
        "cancelled": ("交易关闭", "已取消", "订单取消", "已关闭"),
        "refunded": ("已退款", "退款成功", "退货退款"),
    }),
    V("employment", {"formal": ("正式",), "other": ("试用", "实习", "外包", "临时")}, contains=True, default="formal"),
    V("grade_ae", {g: (g,) for g in "ABCDE"}),
    V("audit_type", {"category_standard": ("品类标准", "品类经营标准", "品类检查", "category_standard"),
                     "iga": ("IGA五星", "IGA", "五星", "iga"), "qsc": ("QSC", "品质服务清洁", "qsc")},
      contains=True, priority=("qsc", "iga", "category_standard")),
    # a KPI by its id or its label in any language (store targets): the catalog's kpi.<id> texts, which
    # the metric registry requires for each declared KPI (tests/test_vocab checks the two agree)
    V("kpi", {key[len("kpi."):]: (key[len("kpi."):], *(w for lang in texts.LANGS
                                                               for w in dict.fromkeys([texts.text(key, lang),
                                                                                       *texts.text(key, lang).split("/")])))
              for key in texts.ids("kpi.") if key.count(".") == 1}),
)}

# Three-level and key-press satisfaction scales have no safe default (data contract §2).
THREE_LEVEL_WORDS = ("好评", "中评", "差评")
KEYPRESS_HEADER_WORDS = ("按键",)

_PUNCT = re.compile(r"[\s\-_,，。.、:：;；/|()（）\[\]【】'\"“”]+")


_SIGNED_NUMBER = re.compile(r"^\s*-\d+(\.\d+)?\s*$")


def normalise_word(word: str) -> str:
    text = unicodedata.normalize("NFKC", str(word))
    if _SIGNED_NUMBER.match(text):   # "-1" (no grade) must not become "1" (grade D)
        return text.strip()
    return _PUNCT.sub("", text).upper()


def map_word(vocab: Vocabulary, word: str, extra: dict[str, str] | None = None) -> str | None:
    """The value ``word`` stands for, or None when unknown.  ``extra`` (word → value) comes from
    the user's mapping file and is tried first."""
    key = normalise_word(word)
    for w, value in (extra or {}).items():
        if normalise_word(w) == key:
            return value
    for value, words in vocab.words.items():
        if any(normalise_word(w) == key for w in words):
            return value
    if vocab.contains:
        best: tuple[int, int, str] | None = None
        order = {v: i for i, v in enumerate(vocab.priority)}
        for value, words in vocab.words.items():
            for w in words:
                nw = normalise_word(w)
                # single letters and digits are too short to look for inside other words
                if len(nw) < 2 or nw.isdigit():
                    continue
                if nw in key:
                    cand = (-len(nw), order.get(value, 99), value)
                    if best is None or cand < best:
                        best = cand
        if best is not None:
            return best[2]
    return vocab.default
