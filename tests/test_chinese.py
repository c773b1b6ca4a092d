"""Chinese text: Han characters, jieba segmentation, the cmn-eng and zh-sample corpora, fonts."""

import os

import pytest

from course.data import load_text, load_translation_pairs
from course.fonts import cjk_font, missing_glyphs, use_cjk_font
from course.text.chinese import is_han, segment_words


def test_is_han():
    assert [is_han(c) for c in "汉字a1。𠀀"] == [True, True, False, False, False, True]
    with pytest.raises(ValueError, match="one character"):
        is_han("汉字")


def test_segmentation_keeps_every_character_but_spaces():
    text = "我们 在图书馆里认真地学习中文。"
    words = segment_words(text)
    assert "".join(words) == text.replace(" ", "")
    assert "图书馆" in words


def test_extra_words_give_another_reading_for_that_call_only():
    default = segment_words("乒乓球拍卖完了")
    other = segment_words("乒乓球拍卖完了", extra_words=("乒乓球拍", "卖完"))
    assert default[:2] == ["乒乓球", "拍卖"]
    assert other[:2] == ["乒乓球拍", "卖完"]
    assert segment_words("乒乓球拍卖完了") == default  # the dictionary itself is unchanged


def test_zh_sample_ships_with_the_kit():
    text = load_text("zh-sample")
    assert not text.startswith("#") and sum(is_han(c) for c in text) > 1000


def test_cmn_eng_from_the_mirror():
    if not os.environ.get("COURSE_DATA_MIRROR"):
        if os.environ.get("COURSE_REQUIRE_MIRROR"):
            pytest.fail("COURSE_REQUIRE_MIRROR is set but COURSE_DATA_MIRROR is not")
        pytest.skip("no data mirror (set COURSE_DATA_MIRROR=../shared/data)")
    pairs = load_translation_pairs("cmn-eng")
    assert len(pairs) == 26_388
    assert pairs[0] == ("Hi.", "嗨。")  # the attribution column is dropped


def test_plots_show_chinese_characters():
    if cjk_font() is None:
        if os.environ.get("COURSE_REQUIRE_CJK_FONT"):
            pytest.fail("COURSE_REQUIRE_CJK_FONT is set but no Chinese font is installed")
        pytest.skip("no Chinese font installed (apt-get install fonts-wqy-microhei)")
    import course.plots

    use_cjk_font(required=True)
    fig = course.plots.bars(["中文", "汉字", "abc"], [3, 2, 1], title="字 and words")
    assert missing_glyphs(fig) == []
