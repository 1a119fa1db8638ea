from __future__ import annotations

from siyu.kit.forms import comma_list


def test_comma_list_takes_both_commas_and_lines_and_drops_blanks() -> None:
    assert comma_list(" 店A，店B, 店C\n店D ,, \n") == ["店A", "店B", "店C", "店D"]
    assert comma_list("") == []
