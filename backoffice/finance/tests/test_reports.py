"""The financial reports: exact figures on a small ledger, the balance sheet balancing, aging at the bucket
boundaries, the VAT boxes, a customer's running balance, the pages' drill-downs, downloads, rights and queries."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from backoffice.finance import reports, services
from backoffice.finance.models import Account, FiscalYear, Invoice, Journal, SupplierBill
from backoffice.finance.services import Line
from core.catalog.models import Currency
from core.parties.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": "2026-01-01", "date_to": "2026-06-30"}
START, END = date(2026, 1, 1), date(2026, 6, 30)
AS_OF = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _years(db):
    FiscalYear.objects.get_or_create(name="2025", defaults={"start": date(2025, 1, 1), "end": date(2025, 12, 31)})
    FiscalYear.objects.get_or_create(name="2026", defaults={"start": date(2026, 1, 1), "end": date(2026, 12, 31)})


@pytest.fixture
def finance(make_staff):
    return make_staff("Finance")


@pytest.fixture
def management(make_staff):
    return make_staff("Management")


def account(code: str) -> Account:
    return Account.objects.get(code=code)


def book(day: date, description: str, *lines: tuple[str, str, str], partner=None):
    """Post an entry; each line is (account, debit, credit); the receivables lines carry the partner."""
    return services.entry_record(
        actor=None,
        journal=Journal.objects.get(code="GEN"),
        date=day,
        description=description,
        lines=[
            Line(
                account=account(code),
                debit=Decimal(debit or "0"),
                credit=Decimal(credit or "0"),
                partner=partner if code == "1510" else None,
            )
            for code, debit, credit in lines
        ],
    )


@pytest.fixture
def ledger():
    """A half year of a small company, one sale in December before it and one in July after it."""
    alfa = OrganizationFactory(name="Alfa AB")
    beta = OrganizationFactory(name="Beta AB")
    book(date(2025, 12, 15), "Sale 2025", ("1510", "2000", ""), ("3001", "", "1600"), ("2610", "", "400"), partner=alfa)
    book(date(2026, 1, 10), "Share capital", ("1930", "50000", ""), ("2081", "", "50000"))
    book(
        date(2026, 2, 1), "Sale 25 %", ("1510", "12500", ""), ("3001", "", "10000"), ("2610", "", "2500"), partner=alfa
    )
    book(date(2026, 2, 5), "Sale 12 %", ("1510", "1120", ""), ("3002", "", "1000"), ("2620", "", "120"), partner=alfa)
    book(date(2026, 2, 6), "Sale 6 %", ("1510", "530", ""), ("3003", "", "500"), ("2630", "", "30"), partner=beta)
    book(date(2026, 2, 7), "Exempt sale", ("1930", "400", ""), ("3004", "", "400"))
    book(date(2026, 3, 1), "Goods", ("4010", "4000", ""), ("2640", "1000", ""), ("2440", "", "5000"))
    book(date(2026, 3, 5), "Rent", ("5010", "3000", ""), ("2640", "750", ""), ("1930", "", "3750"))
    book(date(2026, 3, 10), "Paper", ("6110", "200", ""), ("1930", "", "200"))
    book(date(2026, 3, 25), "Wages", ("7010", "8000", ""), ("1930", "", "8000"))
    book(date(2026, 4, 1), "Interest received", ("1930", "50", ""), ("8313", "", "50"))
    book(date(2026, 4, 2), "Loan interest", ("8410", "30", ""), ("1930", "", "30"))
    book(date(2026, 4, 15), "Paid by Alfa", ("1930", "5000", ""), ("1510", "", "5000"), partner=alfa)
    book(date(2026, 7, 10), "Sale July", ("1510", "1250", ""), ("3001", "", "1000"), ("2610", "", "250"), partner=alfa)
    return {"alfa": alfa, "beta": beta}


_numbers = iter(range(1, 100_000))


def invoice(organization, total: str, *, due: date, dated: date = date(2026, 1, 5), **fields) -> Invoice:
    """An issued invoice (booked, as an issued invoice must be) with the given amounts and dates."""
    number = next(_numbers)
    entry = book(dated, f"Invoice {number}", ("1510", total, ""), ("3004", "", total), partner=organization)
    values = {
        "kind": Invoice.Kind.INVOICE,
        "state": Invoice.State.ISSUED,
        "currency_id": "SEK",
        "number": f"F{number}",
        "ocr": f"{number}0",
        "issued_at": timezone.now(),
        "entry": entry,
        **fields,
    }
    return Invoice.objects.create(
        organization=organization,
        invoice_date=dated,
        due_date=due,
        subtotal=Decimal(total),
        total=Decimal(total),
        **values,
    )


def bill(supplier, total: str, *, due: date, dated: date = date(2026, 1, 5), **fields) -> SupplierBill:
    number = next(_numbers)
    state = fields.pop("state", SupplierBill.State.APPROVED)
    entry = None
    if state != SupplierBill.State.DRAFT:
        entry = book(dated, f"Bill {number}", ("4010", total, ""), ("2440", "", total))
    return SupplierBill.objects.create(
        supplier=supplier,
        supplier_reference=f"S-{number}",
        number=f"L{number}" if entry else "",
        state=state,
        bill_date=dated,
        due_date=due,
        currency_id=fields.pop("currency_id", "SEK"),
        subtotal=Decimal(total),
        total=Decimal(total),
        approved_at=timezone.now() if entry else None,
        entry=entry,
        **fields,
    )


def days_ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


@pytest.fixture
def eur():
    Currency.objects.get_or_create(code="EUR", defaults={"name": "Euro"})
    return "EUR"


# --- profit and loss ------------------------------------------------------------------------------------------


def test_profit_and_loss_groups_the_period_by_bas_class(ledger):
    report = reports.profit_and_loss(date_from=START, date_to=END)

    sections = {section.key: section for section in report.sections}
    assert list(sections) == ["net_sales", "goods", "external", "personnel", "financial"]
    assert [(row["account__code"], row["amount"]) for row in sections["net_sales"].rows] == [
        ("3001", Decimal("10000.00")),
        ("3002", Decimal("1000.00")),
        ("3003", Decimal("500.00")),
        ("3004", Decimal("400.00")),
    ]
    assert {key: section.total for key, section in sections.items()} == {
        "net_sales": Decimal("11900.00"),
        "goods": Decimal("-4000.00"),
        "external": Decimal("-3200.00"),
        "personnel": Decimal("-8000.00"),
        "financial": Decimal("20.00"),
    }
    assert [(row["account__code"], row["amount"]) for row in sections["financial"].rows] == [
        ("8313", Decimal("50.00")),
        ("8410", Decimal("-30.00")),
    ]
    assert report.operating_result == Decimal("-3300.00")
    assert report.result == Decimal("-3280.00")


def test_profit_and_loss_of_an_empty_period_is_zero(ledger):
    report = reports.profit_and_loss(date_from=date(2026, 8, 1), date_to=date(2026, 8, 31))
    assert not report.has_rows and report.result == Decimal("0.00")


# --- balance sheet --------------------------------------------------------------------------------------------


def test_the_balance_sheet_balances_with_the_result_not_yet_closed(ledger):
    report = reports.balance_sheet(day=END)

    assert [(row["account__code"], row["amount"]) for row in report.assets] == [
        ("1510", Decimal("11150.00")),
        ("1930", Decimal("43470.00")),
        ("2640", Decimal("1750.00")),
    ]
    assert [(row["account__code"], row["amount"]) for row in report.equity] == [("2081", Decimal("50000.00"))]
    assert [(row["account__code"], row["amount"]) for row in report.liabilities] == [
        ("2440", Decimal("5000.00")),
        ("2610", Decimal("2900.00")),
        ("2620", Decimal("120.00")),
        ("2630", Decimal("30.00")),
    ]
    assert report.total_assets == Decimal("56370.00")
    assert report.unclosed_result == Decimal("-1680.00")  # 1 600 in December, -3 280 this half year
    assert report.total_liabilities == Decimal("8050.00")
    assert report.total_equity_and_liabilities == Decimal("56370.00")
    assert report.is_balanced


def test_the_balance_sheet_balances_on_every_day(ledger):
    for day in [date(2025, 12, 31), date(2026, 2, 6), date(2026, 3, 31), date(2026, 12, 31)]:
        report = reports.balance_sheet(day=day)
        assert report.is_balanced, day
    assert reports.balance_sheet(day=date(2025, 12, 31)).total_assets == Decimal("2000.00")


# --- aging ----------------------------------------------------------------------------------------------------


def test_aged_receivables_buckets_at_the_boundaries(ledger, eur):
    gamma = OrganizationFactory(name="Gamma AB")
    for days, total in [(0, "100"), (30, "200"), (31, "300"), (60, "400"), (61, "500"), (90, "600"), (91, "700")]:
        invoice(gamma, total, due=days_ago(days))
    delta = OrganizationFactory(name="Delta AB")
    invoice(delta, "150.01", due=AS_OF + timedelta(days=5), currency_id=eur, exchange_rate=Decimal("11.456700"),
            amount_paid=Decimal("50.00"))  # fmt: skip
    invoice(delta, "1000", due=days_ago(10), amount_paid=Decimal("250"), amount_credited=Decimal("250"))
    # Not counted: fully paid, dated after the day, a draft, a credit note.
    invoice(delta, "999", due=days_ago(5), state=Invoice.State.PAID, amount_paid=Decimal("999"))
    invoice(delta, "888", due=AS_OF + timedelta(days=30), dated=AS_OF + timedelta(days=1))
    Invoice.objects.create(organization=delta, currency_id="SEK", subtotal=Decimal(77), total=Decimal(77))
    original = invoice(delta, "66", due=days_ago(3))
    Invoice.objects.filter(pk=original.pk).update(amount_credited=Decimal(66))
    invoice(delta, "66", due=days_ago(3), kind=Invoice.Kind.CREDIT_NOTE, credited_invoice=original)

    report = reports.aged_receivables(day=AS_OF)

    assert [
        (row["party_name"], row["current"], row["days_1_30"], row["days_31_60"], row["days_61_90"],
         row["days_over_90"], row["total"])
        for row in report.rows
    ] == [
        ("Delta AB", Decimal("1145.78"), Decimal("500.00"), 0, 0, 0, Decimal("1645.78")),
        ("Gamma AB", Decimal("100.00"), Decimal("200.00"), Decimal("700.00"), Decimal("1100.00"),
         Decimal("700.00"), Decimal("2800.00")),
    ]  # fmt: skip
    assert report.totals == {
        "current": Decimal("1245.78"),
        "days_1_30": Decimal("700.00"),
        "days_31_60": Decimal("700.00"),
        "days_61_90": Decimal("1100.00"),
        "days_over_90": Decimal("700.00"),
        "total": Decimal("4445.78"),
    }

    detail = reports.aged_receivables(day=AS_OF, organization_id=gamma.pk)
    assert [(doc.days_overdue, doc.bucket, doc.due_sek) for doc in detail.documents] == [
        (91, "days_over_90", Decimal("700.00")),
        (90, "days_61_90", Decimal("600.00")),
        (61, "days_61_90", Decimal("500.00")),
        (60, "days_31_60", Decimal("400.00")),
        (31, "days_31_60", Decimal("300.00")),
        (30, "days_1_30", Decimal("200.00")),
        (0, "current", Decimal("100.00")),
    ]


def test_aged_payables_counts_approved_bills_with_something_due(eur):
    supplier = OrganizationFactory(name="Leverantör AB", roles=["supplier"])
    bill(supplier, "1000", due=AS_OF)
    bill(supplier, "2000", due=days_ago(91), amount_paid=Decimal("500"))
    bill(supplier, "100.00", due=days_ago(31), currency_id=eur, exchange_rate=Decimal("11.123456"))
    bill(supplier, "300", due=days_ago(1), state=SupplierBill.State.PAID, amount_paid=Decimal("300"))
    bill(supplier, "400", due=days_ago(1), state=SupplierBill.State.DRAFT)
    bill(supplier, "500", due=AS_OF + timedelta(days=30), dated=AS_OF + timedelta(days=1))

    report = reports.aged_payables(day=AS_OF)

    assert report.rows == [
        {
            "party_id": supplier.pk,
            "party_name": "Leverantör AB",
            "current": Decimal("1000.00"),
            "days_1_30": Decimal("0"),
            "days_31_60": Decimal("1112.35"),
            "days_61_90": Decimal("0"),
            "days_over_90": Decimal("1500.00"),
            "total": Decimal("3612.35"),
        }
    ]
    assert report.total == Decimal("3612.35")


# --- VAT ------------------------------------------------------------------------------------------------------


def test_the_vat_boxes_of_the_period(ledger):
    report = reports.vat_return(date_from=START, date_to=END)

    assert [(box["box"], box["amount"]) for box in report.boxes] == [
        ("05", Decimal("11500.00")),
        ("06", Decimal("0")),
        ("07", Decimal("0")),
        ("42", Decimal("400.00")),
        ("10", Decimal("2500.00")),
        ("11", Decimal("120.00")),
        ("12", Decimal("30.00")),
        ("48", Decimal("1750.00")),
        ("49", Decimal("900.00")),
    ]
    assert report.to_pay == Decimal("900.00")
    assert [(a["code"], a["amount"]) for a in report.boxes[0]["accounts"]] == [
        ("3001", Decimal("10000.00")),
        ("3002", Decimal("1000.00")),
        ("3003", Decimal("500.00")),
    ]


# --- customer statement ---------------------------------------------------------------------------------------


def test_the_customer_statement_runs_a_balance_from_the_opening_one(ledger):
    statement = reports.customer_statement(
        organization=ledger["alfa"], date_from=date(2026, 2, 1), date_to=date(2026, 6, 30)
    )

    assert statement.opening_balance == Decimal("2000.00")
    assert [
        (line.entry.date, line.entry.description, line.debit, line.credit, line.running_balance)
        for line in statement.lines
    ] == [
        (date(2026, 2, 1), "Sale 25 %", Decimal("12500.00"), Decimal("0.00"), Decimal("14500.00")),
        (date(2026, 2, 5), "Sale 12 %", Decimal("1120.00"), Decimal("0.00"), Decimal("15620.00")),
        (date(2026, 4, 15), "Paid by Alfa", Decimal("0.00"), Decimal("5000.00"), Decimal("10620.00")),
    ]
    assert (statement.debit, statement.credit, statement.closing_balance) == (
        Decimal("13620.00"),
        Decimal("5000.00"),
        Decimal("10620.00"),
    )
    beta = reports.customer_statement(organization=ledger["beta"], date_from=START, date_to=END)
    assert (beta.opening_balance, beta.closing_balance, len(beta.lines)) == (
        Decimal("0.00"),
        Decimal("530.00"),
        1,
    )


# --- pages ----------------------------------------------------------------------------------------------------


def _html(client, name: str, *args, **params) -> str:
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    return response.content.decode()


def _ledger_link(code: str, date_from: str, date_to: str) -> str:
    url = reverse("finance:account-ledger", args=[account(code).pk])
    return f'href="{url}?date_from={date_from}&amp;date_to={date_to}"'


def test_the_profit_and_loss_page_links_each_account_to_its_ledger(client, finance, ledger):
    client.force_login(finance)
    html = _html(client, "finance:report-profit-and-loss", **PERIOD)

    for code in ["3001", "3004", "4010", "5010", "6110", "7010", "8313", "8410"]:
        assert _ledger_link(code, "2026-01-01", "2026-06-30") in html, code
    assert "data-chart" in html and "progress-bar" in html
    assert 'id="result"' in html and "-SEK\xa03,280.00" in html


def test_the_balance_sheet_page_shows_both_sides_balancing(client, management, ledger):
    client.force_login(management)
    html = _html(client, "finance:report-balance-sheet", date="2026-06-30")

    assert "Balances" in html and "Does not balance" not in html
    assert _ledger_link("1930", "2026-01-01", "2026-06-30") in html
    profit_and_loss = reverse("finance:report-profit-and-loss")
    assert f'href="{profit_and_loss}?date_from=2026-01-01&amp;date_to=2026-06-30"' in html


def test_the_aged_receivables_page_links_to_invoices_statement_and_documents(client, finance, ledger):
    gamma = OrganizationFactory(name="Gamma AB")
    late = invoice(gamma, "700", due=days_ago(91))
    client.force_login(finance)

    html = _html(client, "finance:report-aged-receivables", date="2026-06-30")
    assert f'href="{reverse("finance:invoice-list")}?organization={gamma.pk}&amp;state=issued"' in html
    statement = reverse("finance:report-customer-statement", args=[gamma.pk])
    assert f'href="{statement}?date_from=2026-01-01&amp;date_to=2026-06-30"' in html
    assert "payments and credits made after the day are already deducted" in html

    html = _html(client, "finance:report-aged-receivables", date="2026-06-30", organization=gamma.pk)
    assert f'href="{reverse("finance:invoice-detail", args=[late.pk])}"' in html
    assert ">91<" in html


def test_the_aged_payables_page_lists_the_bills_of_a_supplier(client, finance):
    supplier = OrganizationFactory(name="Leverantör AB", roles=["supplier"])
    due = bill(supplier, "1000", due=days_ago(45))
    client.force_login(finance)

    html = _html(client, "finance:report-aged-payables", date="2026-06-30")
    assert "Leverantör AB" in html and 'id="total-days_31_60"' in html
    assert f'href="{reverse("finance:bill-list")}?supplier={supplier.pk}&amp;state=approved"' in html
    detail = f"{reverse('finance:report-aged-payables')}?date=2026-06-30&amp;organization={supplier.pk}#documents"
    assert f'href="{detail}"' in html
    html = _html(client, "finance:report-aged-payables", date="2026-06-30", organization=supplier.pk)
    assert f'href="{reverse("finance:bill-detail", args=[due.pk])}"' in html and ">45<" in html


def test_the_vat_page_links_each_box_to_its_account(client, finance, ledger):
    client.force_login(finance)
    html = _html(client, "finance:report-vat", **PERIOD)
    for code in ["3001", "3002", "3003", "3004", "2610", "2620", "2630", "2640"]:
        assert _ledger_link(code, "2026-01-01", "2026-06-30") in html, code
    assert 'id="box-49"' in html and "900.00" in html
    box_06 = html[html.index('id="box-06"') : html.index('id="box-07"')]
    assert "<a " not in box_06  # nothing is booked behind boxes 06 and 07


def test_the_statement_is_picked_and_shows_the_running_balance(client, finance, ledger):
    client.force_login(finance)
    alfa = ledger["alfa"]
    html = _html(client, "finance:report-customer-statement-pick")
    assert "Alfa AB" in html and "Beta AB" in html

    response = client.get(reverse("finance:report-customer-statement-pick"), {"organization": alfa.pk, **PERIOD})
    statement = reverse("finance:report-customer-statement", args=[alfa.pk])
    assert response.status_code == 302
    assert response["Location"] == f"{statement}?date_from=2026-01-01&date_to=2026-06-30"

    html = _html(client, "finance:report-customer-statement", alfa.pk, date_from="2026-02-01", date_to="2026-06-30")
    assert html.count("data-running-balance") == 3
    assert "14,500.00" in html and "15,620.00" in html and "10,620.00" in html
    assert client.get(reverse("finance:report-customer-statement", args=[999_999])).status_code == 404


def test_a_wrong_period_shows_the_error_not_a_report(client, finance, ledger):
    client.force_login(finance)
    html = _html(client, "finance:report-profit-and-loss", date_from="2026-06-30", date_to="2026-01-01")
    assert "The end date is before the start date." in html and 'id="result"' not in html
    html = _html(client, "finance:report-balance-sheet", date="2026-02-30")
    assert "Enter a valid date." in html and 'id="total-assets"' not in html


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _sheet(response) -> list[list]:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_reports_download_as_csv_and_xlsx(client, finance, ledger):
    client.force_login(finance)
    url = reverse("finance:report-profit-and-loss")

    response = client.get(url, {**PERIOD, "format": "csv"})
    assert 'filename="profit-and-loss-2026-01-01-2026-06-30.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["Section", "Account", "Name", "Amount"]
    assert rows[1] == ["Net sales", "3001", "Försäljning inom Sverige, 25 % moms", "10000.00"]
    assert ["", "", "Operating result", "-3300.00"] in rows
    assert rows[-1] == ["", "", "Result", "-3280.00"]
    values = _sheet(client.get(url, {**PERIOD, "format": "xlsx"}))
    assert values[0] == ["Section", "Account", "Name", "Amount"]
    assert values[-1] == [None, None, "Result", -3280]

    rows = _csv(client.get(reverse("finance:report-balance-sheet"), {"date": "2026-06-30", "format": "csv"}))
    assert ["Assets", "", "Total assets", "56370.00"] in rows
    assert ["Equity", "", "Result not yet closed", "-1680.00"] in rows
    assert rows[-1] == ["", "", "Total equity and liabilities", "56370.00"]

    rows = _csv(client.get(reverse("finance:report-vat"), {**PERIOD, "format": "csv"}))
    assert rows[1] == ["05", "Sales liable to VAT (net)", "3001, 3002, 3003", "11500.00"]
    assert rows[-1] == ["49", "VAT to pay (or get back)", "", "900.00"]
    values = _sheet(client.get(reverse("finance:report-vat"), {**PERIOD, "format": "xlsx"}))
    assert values[-1] == ["49", "VAT to pay (or get back)", None, 900]

    statement = reverse("finance:report-customer-statement", args=[ledger["alfa"].pk])
    rows = _csv(client.get(statement, {"date_from": "2026-02-01", "date_to": "2026-06-30", "format": "csv"}))
    assert rows[0] == ["Date", "Entry", "Text", "Debit", "Credit", "Balance"]
    assert rows[1] == ["2026-02-01", "", "Opening balance", "", "", "2000.00"]
    assert rows[2][0] == "2026-02-01" and rows[2][3:] == ["12500.00", "0.00", "14500.00"]
    assert rows[-1] == ["2026-06-30", "", "Closing balance", "13620.00", "5000.00", "10620.00"]
    response = client.get(statement, {"date_from": "2026-02-01", "date_to": "2026-06-30", "format": "pdf"})
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert f'filename="statement-{ledger["alfa"].pk}-2026-02-01-2026-06-30.pdf"' in response["Content-Disposition"]

    invoice(OrganizationFactory(name="=Gamma AB"), "700", due=days_ago(91))
    rows = _csv(client.get(reverse("finance:report-aged-receivables"), {"date": "2026-06-30", "format": "csv"}))
    assert rows[0] == ["Customer", "Not yet due", "1–30 days", "31–60 days", "61–90 days", "Over 90 days", "Total"]
    assert rows[1] == ["'=Gamma AB", "0.00", "0.00", "0.00", "0.00", "700.00", "700.00"]
    assert rows[-1] == ["Total", "0.00", "0.00", "0.00", "0.00", "700.00", "700.00"]
    values = _sheet(client.get(reverse("finance:report-aged-receivables"), {"date": "2026-06-30", "format": "xlsx"}))
    assert values[1] == ["'=Gamma AB", 0, 0, 0, 0, 700, 700]

    supplier = OrganizationFactory(name="Leverantör AB", roles=["supplier"])
    bill(supplier, "1000", due=days_ago(45))
    rows = _csv(client.get(reverse("finance:report-aged-payables"), {"date": "2026-06-30", "format": "csv"}))
    assert rows[0][0] == "Supplier" and rows[1] == [
        "Leverantör AB",
        "0.00",
        "0.00",
        "1000.00",
        "0.00",
        "0.00",
        "1000.00",
    ]


# --- rights ---------------------------------------------------------------------------------------------------


def _report_urls(organization_id: int) -> list[str]:
    return [
        reverse("finance:reports"),
        reverse("finance:report-profit-and-loss"),
        reverse("finance:report-balance-sheet"),
        reverse("finance:report-aged-receivables"),
        reverse("finance:report-aged-payables"),
        reverse("finance:report-vat"),
        reverse("finance:report-customer-statement-pick"),
        reverse("finance:report-customer-statement", args=[organization_id]),
    ]


def test_finance_and_management_read_the_reports(client, finance, management, ledger):
    for user in [finance, management]:
        client.force_login(user)
        for url in _report_urls(ledger["alfa"].pk):
            assert client.get(url).status_code == 200, (user, url)
    html = client.get(reverse("finance:reports")).content.decode()
    for name in ["report-profit-and-loss", "report-aged-payables", "report-customer-statement-pick"]:
        assert f'href="{reverse(f"finance:{name}")}"' in html


def test_sales_and_customers_get_403_and_a_visitor_is_sent_to_sign_in(client, make_staff, customer_user, ledger):
    urls = _report_urls(ledger["alfa"].pk)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    for user in [make_staff("Sales"), customer_user]:
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, url
            assert client.get(url, {"format": "csv"}).status_code == 403, url


def test_the_sidebar_and_the_trial_balance_link_to_the_reports(client, finance):
    client.force_login(finance)
    html = client.get(reverse("finance:trial-balance")).content.decode()
    assert html.count(f'href="{reverse("finance:reports")}"') >= 2


# --- queries --------------------------------------------------------------------------------------------------


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_each_report_takes_the_same_queries_however_many_rows(client, finance, ledger):
    client.force_login(finance)
    gamma = OrganizationFactory(name="Gamma AB")
    supplier = OrganizationFactory(name="Leverantör AB", roles=["supplier"])
    invoice(gamma, "100", due=days_ago(40))
    bill(supplier, "100", due=days_ago(40))
    pages = [
        (reverse("finance:report-profit-and-loss"), PERIOD),
        (reverse("finance:report-balance-sheet"), {"date": "2026-06-30"}),
        (reverse("finance:report-aged-receivables"), {"date": "2026-06-30"}),
        (reverse("finance:report-aged-receivables"), {"date": "2026-06-30", "organization": gamma.pk}),
        (reverse("finance:report-aged-payables"), {"date": "2026-06-30", "organization": supplier.pk}),
        (reverse("finance:report-vat"), PERIOD),
        (reverse("finance:report-customer-statement", args=[ledger["alfa"].pk]), PERIOD),
    ]
    for url, params in pages:
        _queries(client, url, params)  # warm the caches (rights, settings)
    few = [_queries(client, url, params) for url, params in pages]

    for number in range(8):
        customer = OrganizationFactory(name=f"Kund {number}")
        invoice(customer, "10", due=days_ago(number * 20))
        invoice(gamma, "10", due=days_ago(number * 15))
        bill(OrganizationFactory(name=f"Lev {number}", roles=["supplier"]), "10", due=days_ago(number * 20))
        bill(supplier, "10", due=days_ago(number * 15))
        book(date(2026, 5, 1 + number), "More sales", ("1510", "125", ""), ("3001", "", "100"), ("2610", "", "25"),
             partner=ledger["alfa"])  # fmt: skip
        book(date(2026, 5, 1 + number), "Costs", ("6212", "80", ""), ("2640", "20", ""), ("1930", "", "100"))
    many = [_queries(client, url, params) for url, params in pages]

    assert many == few
    assert max(few) <= 12
