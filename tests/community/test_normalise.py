from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.community.matching import normalise


def test_full_width_lower_case_and_zero_width_forms_meet_the_keyword():
    keyword = normalise("SKU")
    assert normalise("ＳＫＵ") == keyword
    assert normalise("sku") == keyword
    assert normalise("S\u200bKU") == keyword


def test_traditional_chinese_becomes_simplified():
    assert normalise("退貨") == normalise("退货") == "退货"
    assert normalise("請問什麼時候發貨") == "请问什么时候发货"


def test_invisible_characters_are_removed():
    for invisible in ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe0f"):
        assert normalise(f"退{invisible}货") == "退货"


def test_white_space_runs_collapse_and_ends_are_trimmed():
    assert normalise("  几点\t\n 开播\u3000呀 ") == "几点 开播 呀"


def test_full_width_punctuation_becomes_ascii():
    assert normalise("在吗？！，") == "在吗?!,"


@settings(deadline=None)  # the first call loads OpenCC's dictionaries
@given(st.text(alphabet=st.sampled_from("abcABCｓｋｕ退貨货発 \u200b\u3000，!1１"), max_size=30))
def test_normalising_twice_changes_nothing(text):
    assert normalise(normalise(text)) == normalise(text)
