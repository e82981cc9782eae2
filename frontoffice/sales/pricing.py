"""Amounts of quote and order lines, and their totals, in Decimal with explicit rounding.

Two ways of rounding VAT, as accounting systems offer them:

- per line (`LINE`): each line's VAT is rounded to the currency's precision,
  and the document's VAT is the sum of the rounded line VAT;
- per total (`TOTAL`): the nets are summed per rate, and the VAT of each rate
  is computed on that sum and rounded once. This is what the Swedish VAT
  return and most invoices printed in Sweden show; a line still shows its
  own (rounded) VAT, which may then differ from the total by a few öre.

Nets are always rounded per line: a line shows what it costs. Rounding is
half-up ("kaufmännisches Runden"), the convention for money in Sweden.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)


class Rounding:
    LINE = "line"
    TOTAL = "total"


def quantum(decimal_places: int = 2) -> Decimal:
    return Decimal(1).scaleb(-decimal_places)


def round_money(amount: Decimal, decimal_places: int = 2) -> Decimal:
    return amount.quantize(quantum(decimal_places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal(0)
    tax_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal  # after discount, excluding VAT, rounded
    tax: Decimal  # this line's VAT, rounded
    gross: Decimal  # net + tax


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    lines: list[LineAmounts] = field(default_factory=list)
    tax_by_rate: dict[Decimal, tuple[Decimal, Decimal]] = field(default_factory=dict)  # rate -> (net, tax)


def line_amounts(line: LineInput, decimal_places: int = 2) -> LineAmounts:
    """One line: quantity × unit price less the discount, rounded; its VAT on the rounded net, rounded."""
    exact_net = line.quantity * line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED
    net = round_money(exact_net, decimal_places)
    tax = round_money(net * line.tax_rate / HUNDRED, decimal_places)
    return LineAmounts(net=net, tax=tax, gross=net + tax)


def document_totals(lines: Iterable[LineInput], rounding: str = Rounding.TOTAL, decimal_places: int = 2) -> Totals:
    """Subtotal, VAT and total of a quote or order, with VAT per rate for the printout."""
    inputs = list(lines)
    amounts = [line_amounts(line, decimal_places) for line in inputs]
    zero = round_money(Decimal(0), decimal_places)
    nets: dict[Decimal, Decimal] = {}
    line_taxes: dict[Decimal, Decimal] = {}
    for line, amount in zip(inputs, amounts, strict=True):
        rate = line.tax_rate.normalize() if line.tax_rate else Decimal(0)
        nets[rate] = nets.get(rate, zero) + amount.net
        line_taxes[rate] = line_taxes.get(rate, zero) + amount.tax
    if rounding == Rounding.LINE:
        by_rate = {rate: (nets[rate], line_taxes[rate]) for rate in nets}
    elif rounding == Rounding.TOTAL:
        by_rate = {rate: (net, round_money(net * rate / HUNDRED, decimal_places)) for rate, net in nets.items()}
    else:
        raise ValueError(f"Unknown VAT rounding {rounding!r}")
    subtotal = sum((amount.net for amount in amounts), zero)
    tax = sum((tax for _, tax in by_rate.values()), zero)
    return Totals(
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        lines=amounts,
        tax_by_rate=dict(sorted(by_rate.items(), reverse=True)),
    )
