"""Wrapping Chinese and English text for the terminal where a reader expects the breaks."""

from __future__ import annotations

import pytest

from fieldkit.cells import cell_width, wrap_cells


def test_chinese_takes_two_cells_a_character() -> None:
    assert cell_width("PW灯亮") == 6


def test_chinese_breaks_between_characters_and_keeps_closing_punctuation_with_its_word() -> None:
    lines = wrap_cells("局端数据制作。记录已分配的IP地址", 12)
    assert lines == ["局端数据制", "作。记录已分", "配的IP地址"]


def test_a_latin_word_inside_chinese_is_never_split() -> None:
    text = "查看光电转换器以太口的LNK灯是否长亮"
    for width in range(6, 40):
        lines = wrap_cells(text, width)
        assert "".join(lines) == text
        assert any("LNK" in line for line in lines), width
        assert all(cell_width(line) <= width for line in lines)


def test_english_breaks_at_spaces_and_drops_them() -> None:
    assert wrap_cells("the light of the converter", 12) == ["the light of", "the", "converter"]


def test_opening_brackets_stay_with_what_follows() -> None:
    assert wrap_cells("尾纤已成端为（SC接口）", 14) == ["尾纤已成端为", "（SC接口）"]


@pytest.mark.parametrize("width", [5, 10])
def test_a_word_wider_than_the_line_is_cut(width: int) -> None:
    lines = wrap_cells("https://example.com/path", width)
    assert "".join(lines) == "https://example.com/path"
    assert all(cell_width(line) <= width for line in lines)


def test_line_breaks_of_the_text_are_kept() -> None:
    assert wrap_cells("连接正常\nReply from x", 40) == ["连接正常", "Reply from x"]
