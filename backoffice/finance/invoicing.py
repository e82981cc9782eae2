"""The money of an invoice, as pure functions: VAT per rate, SEK amounts, the sales entry's lines, the OCR reference.

Nothing here touches the database, so every rule can be tested on its own (and with random amounts).
Rounding is half-up to the öre, the convention for money in Sweden; VAT is rounded per line or once per rate,
as the order was priced (the same two ways sales offers).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

RECEIVABLE_ACCOUNT = "1510"  # Kundfordringar
# BAS: sales in Sweden per VAT rate, and the output VAT of each rate.
SALES_ACCOUNTS = {Decimal(25): "3001", Decimal(12): "3002", Decimal(6): "3003", Decimal(0): "3004"}
VAT_ACCOUNTS = {Decimal(25): "2610", Decimal(12): "2620", Decimal(6): "2630"}


class Rounding:
    LINE = "line"  # each line's VAT rounded, the invoice's VAT their sum
    TOTAL = "total"  # the nets summed per rate, the VAT of each rate computed on that sum and rounded once


class UnknownTaxRate(ValueError):
    """A VAT rate the chart has no sales or VAT account for."""


def round_money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def rate_key(rate: Decimal | str | int) -> Decimal:
    """25, "25.00" and Decimal("25.0") are one rate."""
    return Decimal(rate).normalize() if Decimal(rate) else Decimal(0)


def sales_account_code(rate: Decimal | str | int) -> str:
    """The BAS sales account for goods and services sold at this VAT rate."""
    try:
        return SALES_ACCOUNTS[rate_key(rate)]
    except KeyError:
        raise UnknownTaxRate(f"No sales account for VAT {rate} %.") from None


def vat_account_code(rate: Decimal | str | int) -> str:
    try:
        return VAT_ACCOUNTS[rate_key(rate)]
    except KeyError:
        raise UnknownTaxRate(f"No output VAT account for VAT {rate} %.") from None


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal


def line_amounts(
    *, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, discount_percent: Decimal = Decimal(0)
) -> LineAmounts:
    """Quantity × price less the discount, rounded; the VAT on the rounded net, rounded (as sales prices a line)."""
    net = round_money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)
    return LineAmounts(net=net, tax=round_money(net * tax_rate / HUNDRED))


@dataclass(frozen=True)
class RateTotal:
    rate: Decimal
    net: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    by_rate: list[RateTotal]


def totals(lines: Iterable[tuple[Decimal, Decimal, Decimal]], *, rounding: str = Rounding.TOTAL) -> Totals:
    """Subtotal, VAT and total of (rate, net, line VAT) lines, with net and VAT per rate (highest rate first)."""
    nets: dict[Decimal, Decimal] = {}
    taxes: dict[Decimal, Decimal] = {}
    for rate, net, tax in lines:
        key = rate_key(rate)
        nets[key] = nets.get(key, ZERO) + Decimal(net)
        taxes[key] = taxes.get(key, ZERO) + Decimal(tax)
    if rounding == Rounding.LINE:
        by_rate = [RateTotal(rate, nets[rate], taxes[rate]) for rate in nets]
    elif rounding == Rounding.TOTAL:
        by_rate = [RateTotal(rate, net, round_money(net * rate / HUNDRED)) for rate, net in nets.items()]
    else:
        raise ValueError(f"Unknown VAT rounding {rounding!r}")
    by_rate.sort(key=lambda item: item.rate, reverse=True)
    subtotal = sum((item.net for item in by_rate), ZERO)
    tax = sum((item.tax for item in by_rate), ZERO)
    return Totals(subtotal=subtotal, tax=tax, total=subtotal + tax, by_rate=by_rate)


def to_base(amount: Decimal, exchange_rate: Decimal) -> Decimal:
    """An amount in the invoice's currency in SEK at the invoice's rate, rounded to the öre."""
    return round_money(Decimal(amount) * Decimal(exchange_rate))


@dataclass(frozen=True)
class PostingLine:
    """One line of the sales entry: an account, a debit or a credit in SEK, and the signed foreign amount."""

    account_code: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    amount_currency: Decimal | None = None  # debit positive, credit negative; None in SEK


def posting_lines(
    by_rate: Iterable[RateTotal],
    *,
    exchange_rate: Decimal = Decimal(1),
    foreign: bool = False,
    credit: bool = False,
    net_accounts: dict[Decimal, dict[str, Decimal]] | None = None,
) -> list[PostingLine]:
    """The sales entry of an invoice (or, with `credit`, of a credit note: every line turned around).

    Each rate's net goes to its sales account and its VAT to its output VAT account, each converted to SEK
    and rounded on its own; the receivable is their sum, so the entry balances to the öre whatever the rate.
    `net_accounts` splits a rate's net over other income accounts (a fee invoice books its fee and its interest
    apart); the split must add up to the rate's net. Lines that come to 0.00 SEK are left out.
    """
    credits: list[PostingLine] = []
    receivable_currency = ZERO
    for item in by_rate:
        receivable_currency += item.net + item.tax
        split = (net_accounts or {}).get(rate_key(item.rate)) or {sales_account_code(item.rate): item.net}
        if sum(split.values(), ZERO) != item.net:
            raise ValueError(f"The net of VAT {item.rate} % is {item.net}, its accounts add up to another amount.")
        parts = [(amount, account) for account, amount in split.items()]
        parts.append((item.tax, vat_account_code(item.rate) if item.tax else ""))
        for amount, account in parts:
            if not amount:
                continue
            base = to_base(amount, exchange_rate)
            if base:
                credits.append(PostingLine(account, credit=base, amount_currency=-amount if foreign else None))
    receivable = sum((line.credit for line in credits), ZERO)
    lines = [
        PostingLine(RECEIVABLE_ACCOUNT, debit=receivable, amount_currency=receivable_currency if foreign else None),
        *credits,
    ]
    if credit:
        lines = [
            PostingLine(
                line.account_code,
                debit=line.credit,
                credit=line.debit,
                amount_currency=None if line.amount_currency is None else -line.amount_currency,
            )
            for line in lines
        ]
    return [line for line in lines if line.debit or line.credit]


# --- OCR -------------------------------------------------------------------------------------------------------


def luhn_check_digit(digits: str) -> str:
    """The modulus-10 (Luhn) check digit Swedish banks verify on an OCR reference."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def is_valid_ocr(reference: str) -> bool:
    """Digits only, its length digit right, its Luhn check digit right."""
    if not reference.isdigit() or len(reference) < 3:
        return False
    return luhn_check_digit(reference[:-1]) == reference[-1] and int(reference[-2]) == len(reference) % 10


SERIES_DIGITS = {"F": 1, "K": 2}  # invoices and credit notes never share a reference


def ocr_reference(*, series: str, year: int, sequence: int) -> str:
    """A reference made from the invoice number (series, year, sequence), a length digit and a Luhn digit.

    "F-2026-00001" gives 1 2026 00001, then the length of the whole reference modulo 10 (Bankgirot's
    variable-length OCR with length digit), then the check digit: 120260000126.
    """
    base = f"{SERIES_DIGITS[series]}{year:04d}{sequence:05d}"
    with_length = f"{base}{(len(base) + 2) % 10}"
    return with_length + luhn_check_digit(with_length)
