"""Vocabularies: every contract word maps to its class; vendor variants by containment; an
unknown word maps to nothing (the row is then rejected, never guessed)."""
import pytest

from loaders.vocab import EMPTY, SKIP, VOCABULARIES, map_word

CALL_RESULT = VOCABULARIES["call_result"]


@pytest.mark.parametrize("value, word", [
    (value, word) for value, words in CALL_RESULT.words.items() for word in words])
def test_every_call_result_word(value, word):
    assert map_word(CALL_RESULT, word) == value


@pytest.mark.parametrize("word, value", [
    ("…-座席未接听", "missed"), ("已呼叫座席，座席未接听", "missed"), ("no answer", "missed"),
    (" 已 接 听 ", "answered"), ("IVR期间用户放弃（按键）", "not_offered"), ("转语音邮箱-成功", "voicemail"),
])
def test_vendor_variants(word, value):
    assert map_word(CALL_RESULT, word) == value


@pytest.mark.parametrize("word", ["呼叫中", "外星人", "3", "x"])
def test_unknown_call_result_is_not_guessed(word):
    assert map_word(CALL_RESULT, word) is None


@pytest.mark.parametrize("vocab, word, value", [
    ("channel", "400热线", "phone"), ("channel", "微信公众号", "online"), ("channel", "千牛工作台", "online"),
    ("channel", "邮件", "other"), ("channel", "API", "other"),
    ("direction", "普通来电", "in"), ("direction", "外呼", "out"), ("direction", "内部通话", "internal"),
    ("division", "售前客服", "presales"), ("division", "售后", "aftersales"),
    ("ticket_status", "处理中", "open"), ("ticket_status", "已解决", "resolved"), ("ticket_status", "已关单", "closed"),
    ("ticket_status", "已删除", SKIP), ("ticket_status", "已撤回", SKIP),
    ("bool", "是", "true"), ("bool", "N", "false"), ("bool", "2", "false"),
    ("hangup_side", "客户挂机", "customer"), ("hangup_side", "坐席挂断", "agent"),
    ("callback_result", "回访成功", "reached"), ("callback_result", "关机", "unreached"),
    ("callback_result", "拒绝评价", "refused"),
    ("satisfaction", "非常满意", "A"), ("satisfaction", "5星", "A"), ("satisfaction", "4分", "B"),
    ("satisfaction", "一般", "C"), ("satisfaction", "很不满", "D"), ("satisfaction", "1", "D"),
    ("satisfaction", "未评价", EMPTY), ("satisfaction", "-1", EMPTY), ("satisfaction", "好评", None),
    ("order_status", "交易成功", "completed"), ("order_status", "卖家已发货，等待买家确认", "paid"),
    ("order_status", "买家已付款，等待卖家发货", "paid"), ("order_status", "等待买家付款", "unpaid"),
    ("order_status", "交易关闭", "cancelled"), ("order_status", "退款成功", "refunded"),
    ("order_status", "神秘状态", None),
    ("employment", "正式员工", "formal"), ("employment", "外包", "other"), ("employment", "", "formal"),
])
def test_vocabularies(vocab, word, value):
    assert map_word(VOCABULARIES[vocab], word) == value


def test_mapping_words_come_first():
    assert map_word(CALL_RESULT, "转接成功", {"转接成功": "answered"}) == "answered"
    assert map_word(CALL_RESULT, "否", {"否": "answered"}) == "answered"


@pytest.mark.parametrize("vocab, value, word", [
    (v.name, value, word) for v in VOCABULARIES.values() for value, words in v.words.items() for word in words])
def test_every_contract_word_of_every_vocabulary(vocab, value, word):
    assert map_word(VOCABULARIES[vocab], word) == value
