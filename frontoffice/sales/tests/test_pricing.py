"""Line amounts and document totals: exact Decimal arithmetic, VAT rounded per line or per total."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontoffice.sales.pricing import LineInput, Rounding, document_totals, line_amounts

CENT = Decimal("0.01")
RATES = [Decimal("25"), Decimal("12"), Decimal("6"), Decimal("0")]

lines_strategy = st.lists(
    st.builds(
        LineInput,
        quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("10000"), places=3),
        unit_price=st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2),
        discount_percent=st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2),
        tax_rate=st.sampled_from(RATES),
    ),
    max_size=25,
)


def test_a_line_rounds_half_up_to_the_cent():
    # 3 × 0.335 = 1.005 -> 1.01 (half up, not banker's 1.00); VAT 25 % of 1.01 = 0.2525 -> 0.25
    amounts = line_amounts(LineInput(quantity=Decimal("3"), unit_price=Decimal("0.335"), tax_rate=Decimal("25")))
    assert (amounts.net, amounts.tax, amounts.gross) == (Decimal("1.01"), Decimal("0.25"), Decimal("1.26"))


def test_discount_applies_before_vat():
    amounts = line_amounts(
        LineInput(
            quantity=Decimal("2"),
            unit_price=Decimal("199.90"),
            discount_percent=Decimal("15"),
            tax_rate=Decimal("12"),
        )
    )
    assert amounts.net == Decimal("339.83")  # 399.80 × 0.85 = 339.83
    assert amounts.tax == Decimal("40.78")  # 40.7796


def test_rounding_per_line_and_per_total_can_differ_by_a_few_ore():
    lines = [LineInput(quantity=Decimal(1), unit_price=Decimal("0.02"), tax_rate=Decimal("25"))] * 3
    per_line = document_totals(lines, Rounding.LINE)
    per_total = document_totals(lines, Rounding.TOTAL)
    assert per_line.tax == Decimal("0.03")  # 3 × round(0.005) = 3 × 0.01
    assert per_total.tax == Decimal("0.02")  # round(0.06 × 0.25 = 0.015) = 0.02
    assert per_line.subtotal == per_total.subtotal == Decimal("0.06")


def test_vat_is_broken_down_per_rate():
    totals = document_totals(
        [
            LineInput(quantity=Decimal(1), unit_price=Decimal("100"), tax_rate=Decimal("25")),
            LineInput(quantity=Decimal(2), unit_price=Decimal("50"), tax_rate=Decimal("12")),
            LineInput(quantity=Decimal(1), unit_price=Decimal("10"), tax_rate=Decimal("25.00")),
        ]
    )
    assert totals.tax_by_rate == {
        Decimal("25"): (Decimal("110.00"), Decimal("27.50")),
        Decimal("12"): (Decimal("100.00"), Decimal("12.00")),
    }
    assert (totals.subtotal, totals.tax, totals.total) == (Decimal("210.00"), Decimal("39.50"), Decimal("249.50"))


def test_an_unknown_rounding_is_a_programming_error():
    with pytest.raises(ValueError):
        document_totals([], "banker")


@given(lines_strategy, st.sampled_from([Rounding.LINE, Rounding.TOTAL]))
def test_totals_are_cents_and_add_up(lines, rounding):
    totals = document_totals(lines, rounding)
    for amount in (totals.subtotal, totals.tax, totals.total):
        assert isinstance(amount, Decimal) and amount == amount.quantize(CENT)
    assert totals.total == totals.subtotal + totals.tax
    assert totals.subtotal == sum((line.net for line in totals.lines), Decimal("0.00"))
    assert totals.subtotal == sum((net for net, _ in totals.tax_by_rate.values()), Decimal("0.00"))
    assert totals.tax == sum((tax for _, tax in totals.tax_by_rate.values()), Decimal("0.00"))


@given(lines_strategy)
def test_per_line_vat_is_the_sum_of_the_lines(lines):
    totals = document_totals(lines, Rounding.LINE)
    assert totals.tax == sum((line.tax for line in totals.lines), Decimal("0.00"))


@given(lines_strategy)
def test_per_total_vat_is_within_half_a_cent_per_rate_of_the_exact_vat(lines):
    totals = document_totals(lines, Rounding.TOTAL)
    exact = sum(
        (line.net * line_input.tax_rate / 100 for line, line_input in zip(totals.lines, lines, strict=True)), Decimal(0)
    )
    assert abs(totals.tax - exact) <= Decimal("0.005") * len(totals.tax_by_rate)


@given(lines_strategy, st.randoms())
def test_the_order_of_the_lines_does_not_change_the_totals(lines, random):
    shuffled = list(lines)
    random.shuffle(shuffled)
    for rounding in (Rounding.LINE, Rounding.TOTAL):
        first, second = document_totals(lines, rounding), document_totals(shuffled, rounding)
        assert (first.subtotal, first.tax, first.total) == (second.subtotal, second.tax, second.total)


@given(lines_strategy)
def test_each_line_is_exact_to_half_a_cent(lines):
    for line_input in lines:
        amounts = line_amounts(line_input)
        exact = line_input.quantity * line_input.unit_price * (100 - line_input.discount_percent) / 100
        assert abs(amounts.net - exact) <= Decimal("0.005")
        assert amounts.net >= 0 and amounts.tax >= 0


def test_currencies_without_decimals_round_to_whole_units():
    totals = document_totals(
        [LineInput(quantity=Decimal(1), unit_price=Decimal("99.50"), tax_rate=Decimal("25"))], decimal_places=0
    )
    assert (totals.subtotal, totals.tax, totals.total) == (Decimal("100"), Decimal("25"), Decimal("125"))
