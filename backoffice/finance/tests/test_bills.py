"""Supplier bills: entering them, four-eyes approval that books the purchase entry, the three-way match of bills
from goods receipts, and payment runs booked as one bank entry with the exchange difference."""

import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from backoffice.finance import bill_selectors, selectors
from backoffice.finance.bill_services import (
    BillLineInput,
    bill_approve,
    bill_cancel,
    bill_create,
    bill_create_from_receipt,
    bill_update,
    match_problems,
    payment_run_add_item,
    payment_run_confirm,
    payment_run_create,
    payment_run_remove_item,
)
from backoffice.finance.models import (
    ExchangeRate,
    FiscalYear,
    JournalEntry,
    JournalLine,
    PaymentRun,
    SupplierBill,
)
from core.audit.models import AuditEntry
from core.exceptions import ServiceError
from core.parties.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _years(db):
    for year in (2026, 2027):
        FiscalYear.objects.get_or_create(
            name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
        )


@pytest.fixture
def supplier():
    return OrganizationFactory(name="Kontorsgrossisten AB", roles=["supplier"])


@pytest.fixture
def clerk(make_staff):
    return make_staff("Finance", full_name="Anna Bokför")


@pytest.fixture
def approver(make_staff):
    return make_staff("Finance", full_name="Bo Attest")


def office_lines() -> list[BillLineInput]:
    return [
        BillLineInput(
            description="Kontorsstolar",
            quantity=Decimal(2),
            unit_price=Decimal("1249.50"),
            tax_rate=Decimal(25),
            account_code="5410",
        ),
        BillLineInput(
            description="Kaffe",
            quantity=Decimal(3),
            unit_price=Decimal("89.90"),
            tax_rate=Decimal(12),
            account_code="6110",
        ),
    ]


def make_bill(supplier, actor=None, *, reference="F-1001", currency="SEK", lines=None, bill_date=DAY, due_date=None):
    return bill_create(
        actor=actor,
        supplier=supplier,
        supplier_reference=reference,
        bill_date=bill_date,
        due_date=due_date,
        currency=currency,
        lines=lines or office_lines(),
    )


def posted(entry: JournalEntry) -> list[tuple[str, Decimal, Decimal, Decimal | None]]:
    return sorted(
        (line.account.code, line.debit, line.credit, line.amount_currency)
        for line in entry.lines.select_related("account")
    )


# --- entering bills ---------------------------------------------------------------------------------------------


def test_a_bill_computes_net_and_vat_per_line_and_waits_for_approval(supplier, clerk):
    bill = make_bill(supplier, clerk)

    assert bill.state == SupplierBill.State.DRAFT and bill.number == "" and bill.entry is None
    assert [(line.net_amount, line.tax_amount) for line in bill.lines.all()] == [
        (Decimal("2499.00"), Decimal("624.75")),
        (Decimal("269.70"), Decimal("32.36")),
    ]
    assert (bill.subtotal, bill.tax_total, bill.total) == (Decimal("2768.70"), Decimal("657.11"), Decimal("3425.81"))
    assert bill.due_date == DAY + timedelta(days=30)
    assert bill.created_by == clerk
    assert AuditEntry.objects.filter(object_id=str(bill.pk), action=AuditEntry.Action.CREATE).count() == 1


def test_the_same_supplier_invoice_number_is_refused_for_the_same_supplier_only(supplier, clerk):
    first = make_bill(supplier, clerk, reference="F-77")
    with pytest.raises(ServiceError) as error:
        make_bill(supplier, clerk, reference="f-77")
    assert list(error.value.message_dict) == ["supplier_reference"]

    other = make_bill(OrganizationFactory(roles=["supplier"]), clerk, reference="F-77")
    assert other.pk != first.pk
    bill_cancel(actor=clerk, bill=first)
    assert make_bill(supplier, clerk, reference="F-77").pk  # a cancelled bill may be entered again


@pytest.mark.parametrize(
    ("account", "accepted"), [("4010", True), ("1220", True), ("3001", False), ("2440", False), ("9999", False)]
)
def test_lines_are_booked_to_expense_or_asset_accounts(supplier, account, accepted):
    line = BillLineInput(
        description="Skruv", quantity=Decimal(1), unit_price=Decimal(10), tax_rate=Decimal(25), account_code=account
    )
    if accepted:
        assert make_bill(supplier, lines=[line]).lines.get().account.code == account
        return
    with pytest.raises(ServiceError) as error:
        make_bill(supplier, lines=[line])
    assert error.value.message_dict == {"lines": [f"Line 1: {account} is not an open expense or asset account."]}
    assert not SupplierBill.objects.exists()


def test_a_bill_needs_a_supplier_lines_and_sane_dates(supplier):
    with pytest.raises(ServiceError) as error:
        make_bill(OrganizationFactory(name="Kund AB", roles=["customer"]))
    assert error.value.message_dict == {"supplier": ["Kund AB is not a supplier."]}
    with pytest.raises(ServiceError) as error:
        make_bill(supplier, lines=[BillLineInput("x", Decimal(0), Decimal(1), Decimal(25), "4010")])
    assert list(error.value.message_dict) == ["lines"]
    with pytest.raises(ServiceError) as error:
        make_bill(supplier, due_date=DAY - timedelta(days=1))
    assert list(error.value.message_dict) == ["due_date"]
    with pytest.raises(ServiceError) as error:
        make_bill(supplier, currency="XYZ")
    assert list(error.value.message_dict) == ["currency"]


def test_a_draft_is_changed_and_cancelled_but_an_approved_bill_is_not(supplier, clerk, approver):
    bill = make_bill(supplier, clerk)
    bill = bill_update(
        actor=clerk,
        bill=bill,
        supplier=supplier,
        supplier_reference="F-1001b",
        bill_date=DAY,
        due_date=DAY + timedelta(days=10),
        currency="SEK",
        lines=[BillLineInput("Papper", Decimal(10), Decimal("45.00"), Decimal(25), "6110")],
    )
    assert (bill.supplier_reference, bill.total, bill.lines.count()) == ("F-1001b", Decimal("562.50"), 1)
    bill_approve(actor=approver, bill=bill)
    with pytest.raises(ServiceError):
        bill_update(
            actor=clerk,
            bill=bill,
            supplier=supplier,
            supplier_reference="F-1001c",
            bill_date=DAY,
            due_date=None,
            currency="SEK",
            lines=office_lines(),
        )
    with pytest.raises(ServiceError):
        bill_cancel(actor=clerk, bill=bill)
    bill.refresh_from_db()
    assert bill.state == SupplierBill.State.APPROVED


# --- approval ---------------------------------------------------------------------------------------------------


def test_whoever_entered_a_bill_may_not_approve_it(supplier, clerk, approver):
    bill = make_bill(supplier, clerk)
    with pytest.raises(ServiceError) as error:
        bill_approve(actor=clerk, bill=bill)
    assert error.value.messages == ["You entered this bill: someone else must approve it (four eyes)."]
    bill.refresh_from_db()
    assert (bill.state, bill.number) == (SupplierBill.State.DRAFT, "")

    assert bill_approve(actor=approver, bill=bill).approved_by == approver


def test_a_superuser_may_approve_what_they_entered(supplier, admin_user):
    bill = make_bill(supplier, admin_user)
    assert bill_approve(actor=admin_user, bill=bill).state == SupplierBill.State.APPROVED


def test_approval_numbers_the_bill_and_books_expense_vat_and_payable(supplier, clerk, approver):
    bill = bill_approve(actor=approver, bill=make_bill(supplier, clerk))

    assert bill.number == "L-2026-00001" and bill.state == SupplierBill.State.APPROVED
    assert bill.exchange_rate == Decimal(1) and bill.amount_due == Decimal("3425.81")
    entry = bill.entry
    assert (entry.journal.code, entry.date, entry.state, entry.reference) == ("PURCH", DAY, "posted", "F-1001")
    assert posted(entry) == [
        ("2440", Decimal("0.00"), Decimal("3425.81"), None),
        ("2640", Decimal("657.11"), Decimal("0.00"), None),
        ("5410", Decimal("2499.00"), Decimal("0.00"), None),
        ("6110", Decimal("269.70"), Decimal("0.00"), None),
    ]
    assert set(entry.lines.values_list("partner_id", flat=True)) == {supplier.pk}
    assert selectors.verify_ledger() == []

    second = bill_approve(actor=approver, bill=make_bill(supplier, clerk, reference="F-1002"))
    assert second.number == "L-2026-00002"


def test_a_foreign_bill_is_booked_at_the_bill_dates_rate_and_balances_to_the_ore(supplier, clerk, approver):
    ExchangeRate.objects.create(currency_id="EUR", date=DAY - timedelta(days=1), rate=Decimal("11.456700"))
    lines = [
        BillLineInput("Tält", Decimal(3), Decimal("333.33"), Decimal(25), "4010"),
        BillLineInput("Karta", Decimal(1), Decimal("10.01"), Decimal(6), "4010"),
        BillLineInput("Frakt", Decimal(1), Decimal("20.00"), Decimal(25), "6110"),
    ]
    bill = bill_approve(actor=approver, bill=make_bill(supplier, clerk, currency="EUR", lines=lines))

    # 999.99 + 10.01 = 1010.00 on 4010, 20.00 on 6110, VAT 249.9975→250.00 + 0.60 + 5.00 = 255.60; total 1285.60
    assert (bill.subtotal, bill.tax_total, bill.total) == (Decimal("1030.00"), Decimal("255.60"), Decimal("1285.60"))
    assert bill.exchange_rate == Decimal("11.456700")
    assert posted(bill.entry) == [
        ("2440", Decimal("0.00"), Decimal("14728.73"), Decimal("-1285.60")),
        ("2640", Decimal("2928.33"), Decimal("0.00"), Decimal("255.60")),
        ("4010", Decimal("11571.27"), Decimal("0.00"), Decimal("1010.00")),
        ("6110", Decimal("229.13"), Decimal("0.00"), Decimal("20.00")),
    ]


def test_a_foreign_bill_without_a_rate_is_not_approved_and_keeps_no_number(supplier, clerk, approver):
    bill = make_bill(supplier, clerk, currency="USD")
    with pytest.raises(ServiceError) as error:
        bill_approve(actor=approver, bill=bill)
    assert list(error.value.message_dict) == ["currency"]
    sek = bill_approve(actor=approver, bill=make_bill(supplier, clerk, reference="F-2"))
    assert sek.number == "L-2026-00001"


# --- three-way match --------------------------------------------------------------------------------------------


def receipt_line(description="Tält", *, ordered=10, received=10, billed=10, ordered_price="100.00", price="100.00"):
    return BillLineInput(
        description=description,
        quantity=Decimal(billed),
        unit_price=Decimal(price),
        tax_rate=Decimal(25),
        sku="TENT-2",
        purchase_order_line_id=7 if ordered is not None else None,
        ordered_quantity=None if ordered is None else Decimal(ordered),
        ordered_unit_price=None if ordered is None else Decimal(ordered_price),
        received_quantity=None if received is None else Decimal(received),
    )


def test_match_problems_lists_what_differs_line_by_line():
    assert match_problems([receipt_line(), receipt_line(price="102.00")]) == []
    problems = match_problems(
        [
            receipt_line(billed=12, received=10),
            receipt_line(price="102.01"),
            receipt_line("Kaffe", ordered=None, received=None),
            receipt_line(billed=3, received=None, price="90.00"),
        ]
    )
    assert [(problem["line"], problem["code"]) for problem in problems] == [
        (1, "quantity_not_received"),
        (2, "price_differs"),
        (3, "not_on_order"),
        (4, "quantity_not_received"),
        (4, "price_differs"),
    ]
    assert problems[0]["message"] == "Line 1 (Tält): 12 billed, 10 received."
    assert problems[2]["message"] == "Line 3 (Kaffe) is not on the purchase order."
    assert match_problems([receipt_line(price="105.00")], price_tolerance_percent=Decimal(5)) == []


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=100)
@given(
    ordered_price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100000), places=2),
    cents=st.integers(min_value=-100000, max_value=100000),
)
def test_a_price_within_the_tolerance_is_never_a_problem(ordered_price, cents):
    price = max(ordered_price + Decimal(cents) / 100, Decimal(0))
    problems = match_problems([receipt_line(ordered_price=str(ordered_price), price=str(price))])
    within = abs(price - ordered_price) <= ordered_price * Decimal("0.02")
    assert (problems == []) is within


def receive(supplier, lines, *, event_id=None, reference="INV-500"):
    return bill_create_from_receipt(
        actor=None,
        event_id=event_id or uuid.uuid4(),
        supplier_id=supplier.pk,
        purchase_order_id=42,
        purchase_order_number="PO-2026-00042",
        supplier_reference=reference,
        bill_date=DAY,
        currency="SEK",
        lines=lines,
    )


def test_a_bill_from_a_matching_receipt_is_matched_and_made_once(supplier, approver):
    event_id = uuid.uuid4()
    bill = receive(supplier, [receipt_line()], event_id=event_id)
    assert (bill.match_state, bill.match_problems, bill.total) == ("matched", [], Decimal("1250.00"))
    assert bill.lines.get().account.code == "4010"
    assert receive(supplier, [receipt_line()], event_id=event_id).pk == bill.pk
    assert SupplierBill.objects.count() == 1
    assert bill_approve(actor=approver, bill=bill).state == SupplierBill.State.APPROVED


def test_an_exception_bill_is_approved_only_accepting_the_differences(supplier, approver):
    bill = receive(supplier, [receipt_line(billed=12, received=10)])
    assert bill.match_state == SupplierBill.Match.EXCEPTION
    assert [problem["code"] for problem in bill.match_problems] == ["quantity_not_received"]
    assert list(bill_selectors.bill_exceptions()) == [bill]

    with pytest.raises(ServiceError) as error:
        bill_approve(actor=approver, bill=bill)
    assert list(error.value.message_dict) == ["accept_differences"]
    bill = bill_approve(actor=approver, bill=bill, accept_differences=True)
    assert bill.state == SupplierBill.State.APPROVED and bill.total == Decimal("1500.00")
    assert AuditEntry.objects.filter(
        object_id=str(bill.pk), message="Approved, accepting the differences from the order"
    ).exists()


# --- payment runs -----------------------------------------------------------------------------------------------


def approved(supplier, approver, *, reference, due_date, currency="SEK", lines=None):
    return bill_approve(
        actor=approver,
        bill=make_bill(supplier, None, reference=reference, due_date=due_date, currency=currency, lines=lines),
    )


def test_a_run_takes_the_approved_bills_due_by_the_day_in_full(supplier, clerk, approver):
    due = approved(supplier, approver, reference="A", due_date=DAY + timedelta(days=5))
    later = approved(supplier, approver, reference="B", due_date=DAY + timedelta(days=20))
    make_bill(supplier, clerk, reference="C", due_date=DAY + timedelta(days=1))  # not approved

    run = payment_run_create(actor=approver, payment_date=DAY + timedelta(days=3), due_by=DAY + timedelta(days=7))
    assert [(item.bill, item.amount) for item in run.items.all()] == [(due, Decimal("3425.81"))]
    with pytest.raises(ServiceError) as error:  # the due bill is in a draft run already
        payment_run_create(actor=approver, payment_date=DAY + timedelta(days=3), due_by=DAY + timedelta(days=7))
    assert list(error.value.message_dict) == ["due_by"]

    payment_run_add_item(actor=approver, run=run, bill=later, amount=Decimal("1000.00"))
    payment_run_remove_item(actor=approver, run=run, item=run.items.get(bill=due))
    assert [(item.bill, item.amount) for item in run.items.all()] == [(later, Decimal("1000.00"))]
    with pytest.raises(ServiceError) as error:
        payment_run_add_item(actor=approver, run=run, bill=due, amount=Decimal("3425.82"))
    assert list(error.value.message_dict) == ["amount"]


@pytest.mark.parametrize(
    ("paid_rate", "bank", "difference"),
    [
        (Decimal("11.20"), Decimal("14000.00"), ("3960", Decimal("0.00"), Decimal("375.00"), None)),
        (Decimal("11.80"), Decimal("14750.00"), ("7960", Decimal("375.00"), Decimal("0.00"), None)),
    ],
)
def test_confirming_a_run_books_one_bank_entry_with_the_exchange_difference(
    supplier, approver, paid_rate, bank, difference
):
    pay_day = DAY + timedelta(days=20)
    ExchangeRate.objects.create(currency_id="EUR", date=DAY, rate=Decimal("11.50"))
    ExchangeRate.objects.create(currency_id="EUR", date=pay_day, rate=paid_rate)
    other = OrganizationFactory(name="Euro Outdoor GmbH", roles=["supplier"])
    sek = approved(supplier, approver, reference="S-1", due_date=pay_day)
    eur = approved(
        other,
        approver,
        reference="E-1",
        due_date=pay_day,
        currency="EUR",
        lines=[BillLineInput("Tält", Decimal(1), Decimal("1000.00"), Decimal(25), "4010")],
    )
    assert posted(eur.entry)[0] == ("2440", Decimal("0.00"), Decimal("14375.00"), Decimal("-1250.00"))

    run = payment_run_confirm(actor=approver, run=payment_run_create(actor=approver, payment_date=pay_day))

    assert run.state == PaymentRun.State.CONFIRMED and run.total == bank + Decimal("3425.81")
    entry = run.entry
    assert (entry.journal.code, entry.date, entry.state) == ("BANK", pay_day, "posted")
    assert posted(entry) == sorted(
        [
            ("1930", Decimal("0.00"), Decimal("3425.81"), None),
            ("1930", Decimal("0.00"), bank, Decimal("-1250.00")),
            ("2440", Decimal("3425.81"), Decimal("0.00"), None),
            ("2440", Decimal("14375.00"), Decimal("0.00"), Decimal("1250.00")),
            difference,
        ]
    )
    payables = entry.lines.filter(account__code="2440")
    assert sorted(payables.values_list("partner_id", flat=True)) == sorted([supplier.pk, other.pk])
    for bill in (sek, eur):
        bill.refresh_from_db()
        assert (bill.state, bill.amount_paid, bill.amount_due) == ("paid", bill.total, Decimal("0.00"))
    assert selectors.verify_ledger() == []
    assert sum(row["balance"] for row in selectors.trial_balance()) == Decimal(0)


def test_a_confirmed_run_never_changes(supplier, approver):
    bill = approved(supplier, approver, reference="A", due_date=DAY)
    run = payment_run_create(actor=approver, payment_date=DAY)
    run = payment_run_confirm(actor=approver, run=run)
    with pytest.raises(ServiceError) as error:
        payment_run_confirm(actor=approver, run=run)
    assert error.value.messages == ["This payment run is confirmed: it can no longer change."]
    with pytest.raises(ServiceError):
        payment_run_remove_item(actor=approver, run=run, item=run.items.get())
    assert JournalEntry.objects.filter(journal__code="BANK").count() == 1
    bill.refresh_from_db()
    assert bill.amount_paid == Decimal("3425.81")


def test_a_part_payment_leaves_the_bill_approved_with_the_rest_due(supplier, approver):
    bill = approved(supplier, approver, reference="A", due_date=DAY + timedelta(days=30))
    other = approved(supplier, approver, reference="B", due_date=DAY)
    run = payment_run_create(actor=approver, payment_date=DAY)
    payment_run_add_item(actor=approver, run=run, bill=bill, amount=Decimal("1000.00"))
    run = payment_run_confirm(actor=approver, run=run)
    assert run.total == Decimal("4425.81")
    bill.refresh_from_db()
    other.refresh_from_db()
    assert (bill.state, bill.amount_due) == ("approved", Decimal("2425.81"))
    assert other.state == "paid"
    assert list(bill_selectors.bills_to_pay(due_by=DAY + timedelta(days=30))) == [bill]


def test_paying_a_bill_clears_exactly_the_payable_approval_booked(supplier, approver):
    ExchangeRate.objects.create(currency_id="EUR", date=DAY, rate=Decimal("0.5"))

    def bill(reference):
        lines = [BillLineInput("Karta", Decimal(1), Decimal("10.01"), Decimal(0), code) for code in ("4010", "6110")]
        return approved(supplier, approver, reference=reference, due_date=DAY, currency="EUR", lines=lines)

    in_parts, at_once = bill("E-1"), bill("E-2")
    # 10.01 EUR × 0.5 = 5.005, rounded per account to 5.01 twice: 10.02 SEK, where 20.02 EUR × 0.5 would be 10.01.
    assert posted(at_once.entry)[0] == ("2440", Decimal("0.00"), Decimal("10.02"), Decimal("-20.02"))

    first = PaymentRun.objects.create(payment_date=DAY)
    payment_run_add_item(actor=approver, run=first, bill=in_parts, amount=Decimal("10.01"))
    first = payment_run_confirm(actor=approver, run=first)
    second = payment_run_confirm(actor=approver, run=payment_run_create(actor=approver, payment_date=DAY))

    def cleared(run, bill):
        return run.entry.lines.get(account__code="2440", description__startswith=bill.number).debit

    assert [cleared(first, in_parts), cleared(second, in_parts), cleared(second, at_once)] == [
        Decimal("5.01"),
        Decimal("5.01"),
        Decimal("10.02"),
    ]
    assert second.total == Decimal("15.02")  # 10.01 + 20.02 EUR at 0.5 to the bank; the öre is an exchange gain
    assert second.entry.lines.get(account__code="3960").credit == Decimal("0.01")
    for paid in (in_parts, at_once):
        paid.refresh_from_db()
        assert (paid.state, paid.amount_paid) == ("paid", Decimal("20.02"))
    balance = sum(
        line.credit - line.debit
        for line in JournalLine.objects.filter(account__code="2440", partner=supplier, entry__state="posted")
    )
    assert balance == Decimal("0.00")


def test_the_demo_seeds_bills_a_run_and_an_exception_once(admin_user):
    from backoffice.finance import demo

    today = timezone.localdate()
    for year in (today.year - 1, today.year):
        FiscalYear.objects.get_or_create(
            name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
        )
    demo._exchange_rates()
    for number in range(3):
        OrganizationFactory(name=f"Leverantör {number} AB", roles=["supplier"])

    summary = demo.seed_supplier_bills(admin_user)

    assert summary == "2 bills paid in a payment run, 3 approved, 2 to approve (one differs from its purchase order)"
    assert PaymentRun.objects.get().state == PaymentRun.State.CONFIRMED
    assert bill_selectors.bill_exceptions().count() == 1
    assert bill_selectors.bill_list(overdue=True).count() == 1
    assert demo.seed_supplier_bills(admin_user) == "supplier bills already there"
    assert selectors.verify_ledger() == []


class ForeignBillProperties(HypothesisTestCase):
    """Whatever the amounts and the two rates, the purchase and the bank entries balance and the payable clears."""

    @settings(max_examples=15)
    @given(
        lines=st.lists(
            st.tuples(
                st.decimals(min_value=Decimal("0.01"), max_value=Decimal(50000), places=2),
                st.sampled_from(["25", "12", "6", "0"]),
                st.sampled_from(["4010", "5410", "6110", "1460"]),
            ),
            min_size=1,
            max_size=5,
        ),
        bill_rate=st.decimals(min_value=Decimal("0.5"), max_value=Decimal(20), places=6),
        paid_rate=st.decimals(min_value=Decimal("0.5"), max_value=Decimal(20), places=6),
    )
    def test_any_euro_bill_approved_and_paid_leaves_the_books_balanced(self, lines, bill_rate, paid_rate):
        for year in (2026, 2027):
            FiscalYear.objects.get_or_create(
                name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
            )
        pay_day = DAY + timedelta(days=5)
        ExchangeRate.objects.update_or_create(currency_id="EUR", date=DAY, defaults={"rate": bill_rate})
        ExchangeRate.objects.update_or_create(currency_id="EUR", date=pay_day, defaults={"rate": paid_rate})
        supplier = OrganizationFactory(roles=["supplier"])
        bill = bill_approve(
            actor=None,
            bill=make_bill(
                supplier,
                reference=str(uuid.uuid4()),
                currency="EUR",
                due_date=pay_day,
                lines=[BillLineInput("x", Decimal(1), price, Decimal(vat), account) for price, vat, account in lines],
            ),
        )
        run = payment_run_confirm(actor=None, run=payment_run_create(actor=None, payment_date=pay_day))

        for entry in (bill.entry, run.entry):
            debit = sum(line.debit for line in entry.lines.all())
            credit = sum(line.credit for line in entry.lines.all())
            assert debit == credit
        payable = bill.entry.lines.get(account__code="2440").credit
        assert run.entry.lines.get(account__code="2440").debit == payable
        bank = run.entry.lines.get(account__code="1930").credit
        assert run.total == bank == (bill.total * paid_rate).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        exchange = sum(line.credit - line.debit for line in run.entry.lines.filter(account__code__in=["3960", "7960"]))
        assert exchange == payable - bank
        assert selectors.verify_ledger() == []


# --- at the same time ---------------------------------------------------------------------------------------------


def _at_once(work, count: int) -> list[object]:
    """Run `work(n)` in `count` threads released together; their results (or errors) in thread order."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(n: int) -> None:
        try:
            barrier.wait()
            results[n] = work(n)
        except Exception as error:  # noqa: BLE001 - returned to the test
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_bills_approved_at_once_get_gapless_numbers_and_a_bill_is_approved_once(make_staff):
    for year in (2026, 2027):
        FiscalYear.objects.get_or_create(
            name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
        )
    supplier = OrganizationFactory(roles=["supplier"])
    approver = make_staff("Finance")
    bills = [make_bill(supplier, reference=f"C-{n}") for n in range(3)]

    results = _at_once(lambda n: bill_approve(actor=approver, bill=bills[n // 2]), 6)  # each bill twice

    refused = [result for result in results if isinstance(result, ServiceError)]
    assert len(refused) == 3 and {str(error.messages[0]) for error in refused} == {
        "Only a bill still to approve can be approved."
    }
    numbers = SupplierBill.objects.filter(pk__in=[bill.pk for bill in bills[:3]]).values_list("number", flat=True)
    assert sorted(numbers) == ["L-2026-00001", "L-2026-00002", "L-2026-00003"]
    assert JournalEntry.objects.filter(journal__code="PURCH").count() == 3
    assert selectors.verify_ledger() == []


@pytest.mark.django_db(transaction=True)
def test_a_run_confirmed_twice_at_once_pays_once(make_staff):
    for year in (2026, 2027):
        FiscalYear.objects.get_or_create(
            name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
        )
    supplier = OrganizationFactory(roles=["supplier"])
    approver = make_staff("Finance")
    bill = bill_approve(actor=approver, bill=make_bill(supplier, reference="C-1", due_date=DAY))
    run = payment_run_create(actor=approver, payment_date=DAY)

    results = _at_once(lambda n: payment_run_confirm(actor=approver, run=run), 2)

    assert sorted(type(result).__name__ for result in results) == ["PaymentRun", "ServiceError"]
    bill.refresh_from_db()
    assert (bill.state, bill.amount_paid) == ("paid", Decimal("3425.81"))
    assert JournalEntry.objects.filter(journal__code="BANK").count() == 1


@pytest.mark.django_db(transaction=True)
def test_runs_drafted_at_once_never_hold_the_same_bill(make_staff):
    for year in (2026, 2027):
        FiscalYear.objects.get_or_create(
            name=str(year), defaults={"start": date(year, 1, 1), "end": date(year, 12, 31)}
        )
    supplier = OrganizationFactory(roles=["supplier"])
    approver = make_staff("Finance")
    for n in range(3):
        bill_approve(actor=approver, bill=make_bill(supplier, reference=f"C-{n}", due_date=DAY))

    results = _at_once(lambda n: payment_run_create(actor=approver, payment_date=DAY), 3)

    assert sorted(type(result).__name__ for result in results) == ["PaymentRun", "ServiceError", "ServiceError"]
    assert PaymentRun.objects.get().items.count() == 3
