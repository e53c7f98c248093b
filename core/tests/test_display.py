"""core.display: names family-name first for Chinese, a Western name in its own order; rates as
percentages with two decimals."""
import pytest

from core.display import percent_text, person_name


@pytest.mark.parametrize(("family", "given", "expected"), [
    ("孙", "波玉", "孙波玉"),        # not Django's "波玉 孙"
    ("欧阳", "修", "欧阳修"),
    ("Li", "Anna", "Anna Li"),
    ("", "波玉", "波玉"),
    ("孙", "", "孙"),
    ("", "", ""),
    (" 孙 ", " 波玉 ", "孙波玉"),
])
def test_person_name(family, given, expected):
    assert person_name(family=family, given=given) == expected


@pytest.mark.parametrize(("rate", "expected"), [
    (0.0, "0.00%"), (0, "0.00%"), (0.6667, "66.67%"), (1, "100.00%"), (0.12345, "12.35%"), (None, "—"),
])
def test_percent_text(rate, expected):
    assert percent_text(rate) == expected
