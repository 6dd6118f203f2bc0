"""The one number formatter: real minus signs, powers of ten as ×10ⁿ, grouped thousands."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.app import inspection, numbers
from simulator.app.numbers import MINUS

_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def read_back(text: str) -> float:
    """The number a reader takes from ``text`` (our notation turned into Python's)."""
    text = text.replace(MINUS, "-").replace(",", "")
    if "×10" in text:
        mantissa, exponent = text.split("×10")
        return float(f"{mantissa}e{exponent.translate(_FROM_SUPERSCRIPT)}")
    sign, bare = ("-", text[1:]) if text.startswith("-") else ("", text)
    if bare.startswith("10") and len(bare) > 2 and bare[2] in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻":
        return float(f"{sign}1e{bare[2:].translate(_FROM_SUPERSCRIPT)}")
    return float(text)


def test_negative_numbers_get_a_real_minus_sign():
    for text in (numbers.fmt(-0.25), numbers.fmt(-3.5e-7), numbers.fmt(-12345.6),
                 numbers.fixed(-1.5, 2), numbers.count(-3), numbers.label(-1.81, 2),
                 numbers.percent(-0.5), numbers.epoch(-1.5)):  # fmt: skip
        assert text.startswith(MINUS) and "-" not in text
    assert numbers.fmt(-0.25) == MINUS + "0.25"


def test_small_and_large_values_use_powers_of_ten_and_the_rest_plain_decimals():
    # The readouts once showed "3.521e-05" beside "0.0006542": both now one style.
    assert numbers.fmt(3.521e-05) == "3.521×10⁻⁵"
    assert numbers.fmt(0.0006542) == "6.542×10⁻⁴"
    assert numbers.fmt(0.001234) == "0.001234"  # from 0.001 on: plain
    assert numbers.fmt(2.5e7) == "2.5×10⁷"
    assert numbers.fmt(-2e-3) == MINUS + "0.002"
    assert numbers.fmt(12345.6) == "12,346"  # thousands grouped, no exponent
    assert numbers.fmt(0.5) == "0.5"  # no trailing zeros
    assert numbers.fmt(0.1 + 0.2) == "0.3"


def test_rounding_at_the_edge_of_a_power_of_ten():
    assert numbers.fmt(9.9996) == "10"
    assert numbers.fmt(99.996) == "100"
    assert numbers.fmt(9.99996e-5) == "1×10⁻⁴"
    assert numbers.fmt(0.00099996) == "0.001"  # rounds up out of the powers of ten
    assert numbers.fmt(999_999.6) == "1×10⁶"  # rounds up into them
    assert numbers.fmt(1.23456, 3) == "1.23"


def test_nothing_not_a_number_and_infinities():
    assert numbers.fmt(None) == "—"
    assert numbers.fmt(math.nan) == "NaN"
    assert numbers.fmt(math.inf) == "∞"
    assert numbers.fmt(-math.inf) == MINUS + "∞"
    assert numbers.fmt(0.0) == numbers.fmt(-0.0) == "0"
    assert numbers.percent(math.nan) == "—"
    assert numbers.label(math.nan, 2) == "NaN"


def test_counts_epochs_percents_and_flags():
    assert numbers.count(25844) == "25,844"
    assert numbers.count(25844.0) == "25,844"
    assert numbers.epoch(25844.0) == "25,844"  # never "25844.00"
    assert numbers.epoch(18.75) == "18.75"
    assert numbers.epoch(1615.3) == "1,615.3"
    assert numbers.percent(0.975) == "97.5%"
    assert numbers.percent(1.0) == "100%"
    assert numbers.percent(0.99996) == "100.0%"  # not all: one decimal
    assert numbers.percent(0.0) == "0%"
    assert (numbers.on_off(True), numbers.on_off(False)) == ("on", "off")
    assert (numbers.yes_no(True), numbers.yes_no(False)) == ("yes", "no")


def test_settings_read_as_words_and_numbers():
    assert numbers.setting(False) == "off"
    assert numbers.setting(True) == "on"
    assert numbers.setting((0.9, 0.999)) == "(0.9, 0.999)"
    assert numbers.setting(1e-8) == "1×10⁻⁸"
    assert numbers.setting(1000) == "1,000"
    assert numbers.setting("relu") == "relu"


def test_a_group_of_short_labels_shares_one_style():
    # The canvas once showed a bias as "2e-3" beside "0.22".
    assert numbers.labels([0.22, 0.002, -1.81]) == ["0.22", "0.00", MINUS + "1.81"]
    assert numbers.labels([0.04, -0.002]) == ["0.040", MINUS + "0.002"]
    assert numbers.labels([0.002, 0.0004]) == ["0.0020", "0.0004"]
    assert numbers.labels([35.2, 1.5]) == ["35.2", "1.5"]
    assert numbers.labels([350.0, 1.5]) == ["350", "2"]
    assert numbers.labels([3e-7, -1e-6]) == ["3×10⁻⁷", MINUS + "1×10⁻⁶"]
    assert numbers.labels([2000.0, 3.0]) == ["2×10³", "3"]
    assert numbers.labels([0.0, 0.5]) == ["0", "0.50"]  # exactly zero is plain "0"
    assert numbers.labels([-0.001, 0.5]) == ["0.00", "0.50"]  # no "−0.00"


def test_every_label_in_a_group_has_the_same_decimals():
    for group in ([0.22, 0.002, -1.81, 5.0], [0.04, 0.0011, -0.02], [12.0, 0.3, -99.0]):
        texts = numbers.labels(group)
        assert len({len(t.split(".")[1]) if "." in t else 0 for t in texts}) == 1, texts


def test_linear_ticks_take_the_decimals_of_their_spacing_and_a_real_minus():
    assert numbers.tick_labels([-0.4, -0.2, 0.0, 0.2], 0.2) == [
        MINUS + "0.4", MINUS + "0.2", "0.0", "0.2"]  # fmt: skip
    assert numbers.tick_labels([0.0, 100.0, 200.0], 100.0) == ["0", "100", "200"]
    assert numbers.tick_labels([0.0, 5000.0, 10000.0], 5000.0) == ["0", "5,000", "10,000"]
    assert numbers.tick_labels([0.0, 2e-4, 4e-4], 2e-4) == ["0", "2×10⁻⁴", "4×10⁻⁴"]
    assert numbers.tick_labels([], 1.0) == []


def test_log_ticks_are_plain_on_a_short_axis_and_powers_of_ten_on_a_long_one():
    assert numbers.log_tick_labels([-2, -1, 0], -2.3, 0.2) == ["0.01", "0.1", "1"]
    assert numbers.log_tick_labels([-5, -4, math.log10(2e-4)], -5.5, -2.5) == [
        "10⁻⁵", "10⁻⁴", "2×10⁻⁴"]  # fmt: skip


def test_tidy_rewrites_e_notation_in_text_written_elsewhere():
    text = "disagree by more than 1e-05; agree to 2.5e-09 (h = 1E-3, layer-1, x1e2)"
    assert numbers.tidy(text) == (
        "disagree by more than 1×10⁻⁵; agree to 2.5×10⁻⁹ (h = 0.001, layer-1, x1e2)"
    )
    assert numbers.tidy("-3e-07 and 1.50e+02") == f"{MINUS}3×10⁻⁷ and 150"


def test_the_inspector_name_is_the_same_formatter():
    assert inspection.fmt is numbers.fmt
    assert inspection.factor(-0.5) == f"({MINUS}0.5)"


finite = st.floats(-1e300, 1e300)  # not near the largest float, which rounding may pass


@given(finite, st.integers(1, 8))
def test_any_value_reads_back_to_its_digits_and_never_has_a_hyphen(x, digits):
    text = numbers.fmt(x, digits)
    assert "-" not in text and "e" not in text
    assert read_back(text) == pytest.approx(x, rel=0.51 * 10.0 ** (1 - digits), abs=0)


@given(finite, st.integers(1, 17))
def test_parse_reads_back_whatever_the_window_writes(x, digits):
    # What the window writes, it reads: a spin box, the Stop-at field and a lesson's guess
    # all take their own text back (and the reader agrees with this file's own reader).
    for text in (numbers.fmt(x, digits), numbers.power(x, digits), numbers.fixed(x, 3)):
        assert numbers.parse(text) == read_back(text), text
    assert numbers.parse(numbers.fmt(x, 17)) == pytest.approx(x, rel=1e-15, abs=0)


def test_parse_reads_what_people_type_and_refuses_the_rest():
    assert numbers.parse("-2.5") == -2.5 and numbers.parse(f"{MINUS}2.5") == -2.5
    assert numbers.parse("1e-5") == 1e-5 and numbers.parse("1×10⁻⁵") == pytest.approx(1e-5)
    assert numbers.parse("10⁻⁵") == pytest.approx(1e-5) and numbers.parse("−10³") == -1000
    assert numbers.parse("2,000") == 2000 and numbers.parse("0,5") == 0.5
    for text in ("", "−", "1e", "1×10⁻", "abc", "nan", "inf", "1e999"):
        assert numbers.parse(text) is None, text


@given(st.lists(finite, min_size=1, max_size=12))
def test_any_group_of_labels_is_short_and_has_no_hyphen(values):
    for text in numbers.labels(values):
        assert "-" not in text and "e" not in text
        assert len(text) <= 9, text


@given(finite)
def test_a_tick_label_reads_back_to_its_tick(x):
    spacing = 10.0 ** math.floor(math.log10(abs(x))) if x else 1.0
    (text,) = numbers.tick_labels([x], spacing)
    assert "-" not in text
    assert read_back(text) == pytest.approx(x, rel=0.6, abs=spacing)


@given(st.lists(st.floats(-990, 990, allow_nan=False), min_size=1, max_size=16))
def test_labels_capped_at_three_decimals_fit_a_neuron(values):
    # A neuron's circle has room for "−0.004" or "−990": no power of ten below 1,000.
    decimals = numbers.label_decimals(values, 3)
    assert decimals is not None and decimals <= 3
    for v in values:
        text = numbers.label(v, decimals)
        assert "×" not in text and len(text) <= 8, text


def test_tiny_labels_share_three_decimals_with_a_cap():
    assert numbers.labels([2e-5, -3e-5]) == ["2×10⁻⁵", f"{MINUS}3×10⁻⁵"]  # uncapped
    decimals = numbers.label_decimals([2e-5, -4e-4], 3)
    assert [numbers.label(v, decimals) for v in (2e-5, -4e-4, 0.0021)] == [
        "0.000",
        "0.000",  # rounds to zero: no sign
        "0.002",
    ]
