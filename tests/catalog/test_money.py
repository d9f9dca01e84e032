"""The money rule (``catalog.money``): half-up to the cent, lines rounded, totals the sum of
the rounded lines, never a float."""

from decimal import Decimal

import pytest

from catalog.money import line_amount, money, money_text, money_total, unit_price_text


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("2.345", "2.35"),
        ("2.005", "2.01"),
        ("0.005", "0.01"),
        ("2.0049", "2.00"),
        ("3.7035", "3.70"),
        ("3.7050", "3.71"),  # half-even would say 3.70
        ("0.125", "0.13"),  # half-even would say 0.12
    ],
)
def test_a_half_cent_rounds_up(amount, rounded):
    assert money(Decimal(amount)) == Decimal(rounded)


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("-2.345", "-2.35"), ("-0.005", "-0.01"), ("-2.344", "-2.34"), ("-3.7050", "-3.71")],
)
def test_a_negative_half_cent_rounds_away_from_zero_like_its_positive(amount, rounded):
    assert money(Decimal(amount)) == Decimal(rounded)
    assert money(-Decimal(amount)) == -money(Decimal(amount))


def test_an_amount_keeps_exactly_two_decimals():
    assert str(money(7)) == "7.00"
    assert str(money(Decimal("1E+2"))) == "100.00"
    assert money_text(Decimal("1234.5")) == "1234.50"
    assert money_text(None) == ""


def test_a_float_is_refused_not_rounded():
    with pytest.raises(TypeError):
        money(1.005)  # its binary value is 1.00499…: rounding it would give 1.00
    with pytest.raises(TypeError):
        unit_price_text(1.2345)


def test_three_lines_of_three_at_1_2345_total_the_three_printed_lines():
    lines = [line_amount(3, Decimal("1.2345")) for _ in range(3)]
    assert lines == [Decimal("3.70")] * 3
    assert money_total(lines) == Decimal("11.10")
    # The rounded sum of the unrounded products would print 11.11 under three lines of 3.70.
    assert money(3 * 3 * Decimal("1.2345")) == Decimal("11.11")


def test_a_total_rounds_each_line_before_adding():
    assert money_total([Decimal("0.004")] * 3) == Decimal("0.00")
    assert money_total([Decimal("-1.005"), Decimal("1.005")]) == Decimal("0.00")
    assert money_total([]) == Decimal("0.00")


@pytest.mark.parametrize(
    ("price", "text"),
    [
        ("1.2345", "1.2345"),
        ("12.5000", "12.50"),
        ("12.5", "12.50"),
        ("100", "100.00"),
        ("0.1230", "0.123"),
        ("987.65", "987.65"),
    ],
)
def test_a_unit_price_shows_its_own_decimals_two_to_four(price, text):
    assert unit_price_text(Decimal(price)) == text
