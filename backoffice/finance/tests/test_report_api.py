"""/api/v1/finance/reports/: the reports' exact figures as JSON, 400 on a wrong date, the rights, the schema."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.finance.models import SupplierBill
from backoffice.finance.tests.test_reports import AS_OF, bill, book, days_ago, invoice
from backoffice.finance.tests.test_reports import ledger as ledger
from core.parties.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/finance/reports/"
PERIOD = {"date_from": "2026-01-01", "date_to": "2026-06-30"}


@pytest.fixture(autouse=True)
def _years(db):
    from backoffice.finance.models import FiscalYear

    FiscalYear.objects.get_or_create(name="2025", defaults={"start": date(2025, 1, 1), "end": date(2025, 12, 31)})
    FiscalYear.objects.get_or_create(name="2026", defaults={"start": date(2026, 1, 1), "end": date(2026, 12, 31)})


@pytest.fixture
def finance(api_client_for, make_staff):
    return api_client_for(make_staff("Finance"))


@pytest.fixture
def management(api_client_for, make_staff):
    return api_client_for(make_staff("Management"))


@pytest.fixture
def sales(api_client_for, make_staff):
    return api_client_for(make_staff("Sales"))


def test_profit_and_loss(management, ledger):
    response = management.get(f"{REPORTS}profit-and-loss/", PERIOD)

    assert response.status_code == 200
    body = response.json()
    assert (body["date_from"], body["date_to"]) == ("2026-01-01", "2026-06-30")
    assert [(section["key"], section["total"]) for section in body["sections"]] == [
        ("net_sales", "11900.00"),
        ("goods", "-4000.00"),
        ("external", "-3200.00"),
        ("personnel", "-8000.00"),
        ("financial", "20.00"),
    ]
    assert body["sections"][0]["rows"][0] == {
        "account_id": body["sections"][0]["rows"][0]["account_id"],
        "account": "3001",
        "name": "Försäljning inom Sverige, 25 % moms",
        "kind": "income",
        "amount": "10000.00",
    }
    assert (body["operating_result"], body["result"]) == ("-3300.00", "-3280.00")


def test_balance_sheet(finance, ledger):
    body = finance.get(f"{REPORTS}balance-sheet/", {"date": "2026-06-30"}).json()

    assert [(row["account"], row["amount"]) for row in body["assets"]] == [
        ("1510", "11150.00"),
        ("1930", "43470.00"),
        ("2640", "1750.00"),
    ]
    assert {key: body[key] for key in body if key.startswith("total") or key in ("unclosed_result", "is_balanced")} == {
        "total_assets": "56370.00",
        "total_equity": "50000.00",
        "unclosed_result": "-1680.00",
        "total_liabilities": "8050.00",
        "total_equity_and_liabilities": "56370.00",
        "is_balanced": True,
    }


def test_aged_receivables_and_payables(finance, ledger):
    gamma = OrganizationFactory(name="Gamma AB")
    invoice(gamma, "100", due=days_ago(30))
    invoice(gamma, "200", due=days_ago(31))
    supplier = OrganizationFactory(name="Leverantör AB", roles=["supplier"])
    bill(supplier, "300", due=days_ago(91))
    bill(supplier, "400", due=AS_OF, state=SupplierBill.State.DRAFT)

    body = finance.get(f"{REPORTS}aged-receivables/", {"date": "2026-06-30"}).json()
    row = {
        "organization": gamma.pk,
        "name": "Gamma AB",
        "current": "0.00",
        "days_1_30": "100.00",
        "days_31_60": "200.00",
        "days_61_90": "0.00",
        "days_over_90": "0.00",
        "total": "300.00",
    }
    assert body == {"date": "2026-06-30", "rows": [row], "totals": {k: v for k, v in row.items() if k[0] in "cdt"}}

    body = finance.get(f"{REPORTS}aged-payables/", {"date": "2026-06-30"}).json()
    assert [(r["name"], r["days_over_90"], r["total"]) for r in body["rows"]] == [("Leverantör AB", "300.00", "300.00")]
    assert body["totals"]["total"] == "300.00"


def test_vat_return(finance, ledger):
    body = finance.get(f"{REPORTS}vat/", PERIOD).json()

    assert [(box["box"], box["amount"]) for box in body["boxes"]] == [
        ("05", "11500.00"),
        ("06", "0.00"),
        ("07", "0.00"),
        ("42", "400.00"),
        ("10", "2500.00"),
        ("11", "120.00"),
        ("12", "30.00"),
        ("48", "1750.00"),
        ("49", "900.00"),
    ]
    assert body["boxes"][0]["accounts"] == [
        {"code": "3001", "amount": "10000.00"},
        {"code": "3002", "amount": "1000.00"},
        {"code": "3003", "amount": "500.00"},
    ]
    assert body["to_pay"] == "900.00"


def test_customer_statement(management, ledger):
    alfa = ledger["alfa"]
    body = management.get(
        f"{REPORTS}customer-statement/{alfa.pk}/", {"date_from": "2026-02-01", "date_to": "2026-06-30"}
    ).json()

    assert (body["organization"], body["name"], body["opening_balance"]) == (alfa.pk, "Alfa AB", "2000.00")
    assert [(line["date"], line["text"], line["debit"], line["credit"], line["balance"]) for line in body["lines"]] == [
        ("2026-02-01", "Sale 25 %", "12500.00", "0.00", "14500.00"),
        ("2026-02-05", "Sale 12 %", "1120.00", "0.00", "15620.00"),
        ("2026-04-15", "Paid by Alfa", "0.00", "5000.00", "10620.00"),
    ]
    assert (body["debit"], body["credit"], body["closing_balance"]) == ("13620.00", "5000.00", "10620.00")
    assert body["lines"][0]["entry"].startswith("GEN-2026-")
    assert management.get(f"{REPORTS}customer-statement/999999/", PERIOD).status_code == 404


def test_wrong_dates_answer_400_with_the_field(finance, ledger):
    alfa = ledger["alfa"]
    for url in ["profit-and-loss/", "vat/", f"customer-statement/{alfa.pk}/"]:
        response = finance.get(f"{REPORTS}{url}", {"date_from": "2026-02-30"})
        assert response.status_code == 400 and list(response.json()) == ["date_from"], url
        response = finance.get(f"{REPORTS}{url}", {"date_to": "yesterday"})
        assert response.status_code == 400 and list(response.json()) == ["date_to"], url
        response = finance.get(f"{REPORTS}{url}", {"date_from": "2026-05-01", "date_to": "2026-04-01"})
        assert response.status_code == 400, url
        assert response.json() == {"date_to": ["The end date is before the start date."]}
    for url in ["balance-sheet/", "aged-receivables/", "aged-payables/"]:
        response = finance.get(f"{REPORTS}{url}", {"date": "2026-13-01"})
        assert response.status_code == 400 and list(response.json()) == ["date"], url


def test_without_dates_the_reports_run_to_today(finance, ledger):
    for url in ["profit-and-loss/", "balance-sheet/", "aged-receivables/", "aged-payables/", "vat/"]:
        assert finance.get(f"{REPORTS}{url}").status_code == 200, url


def _urls(organization_id: int) -> list[str]:
    return [
        f"{REPORTS}{name}/"
        for name in [
            "profit-and-loss",
            "balance-sheet",
            "aged-receivables",
            "aged-payables",
            "vat",
            f"customer-statement/{organization_id}",
        ]
    ]


def test_finance_and_management_read_sales_and_visitors_do_not(
    finance, management, sales, api_client, api_client_for, customer_user, ledger
):
    customer = api_client_for(customer_user)
    for url in _urls(ledger["alfa"].pk):
        assert finance.get(url).status_code == 200, url
        assert management.get(url).status_code == 200, url
        assert sales.get(url).status_code == 403, url
        assert customer.get(url).status_code == 403, url
        assert api_client.get(url).status_code in (401, 403), url
        assert finance.post(url, {}).status_code == 405, url


def test_each_report_takes_the_same_queries_however_many_rows(finance, ledger):
    def queries() -> list[int]:
        counts = []
        for url in _urls(ledger["alfa"].pk):
            with CaptureQueriesContext(connection) as captured:
                assert finance.get(url, {**PERIOD, "date": "2026-06-30"}).status_code == 200
            counts.append(len(captured))
        return counts

    queries()
    few = queries()
    for number in range(6):
        invoice(OrganizationFactory(), "10", due=days_ago(number * 20))
        bill(OrganizationFactory(roles=["supplier"]), "10", due=days_ago(number * 20))
        book(date(2026, 5, 1) + timedelta(days=number), "Sale", ("1510", "125", ""), ("3001", "", "100"),
             ("2610", "", "25"), partner=ledger["alfa"])  # fmt: skip
    assert queries() == few


def test_the_reports_are_in_the_schema(client, make_staff):
    client.force_login(make_staff("Finance"))

    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]

    for name in ["profit-and-loss", "balance-sheet", "aged-receivables", "aged-payables", "vat"]:
        operation = paths[f"/api/v1/finance/reports/{name}/"]["get"]
        assert operation["tags"] == ["finance"], name
        assert "200" in operation["responses"], name
    statement = paths["/api/v1/finance/reports/customer-statement/{organization_id}/"]["get"]
    assert statement["tags"] == ["finance"]
    assert {parameter["name"] for parameter in statement["parameters"]} == {"organization_id", "date_from", "date_to"}
