"""/api/v1/sales/quotes/ and /api/v1/sales/orders/: lines, totals, actions, 400s for bad input, rights, queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.catalog.models import TaxRate
from core.catalog.tests.factories import ProductFactory
from core.parties.models import Address
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.crm import services as crm
from frontoffice.crm.models import Account
from frontoffice.sales import services
from frontoffice.sales.models import Opportunity, PipelineStage, Quote, QuoteLine, SalesOrder, SalesOrderLine
from integration.bus.models import OutboxEvent

pytestmark = pytest.mark.django_db

QUOTES = "/api/v1/sales/quotes/"
ORDERS = "/api/v1/sales/orders/"


@pytest.fixture
def seller(make_staff):
    return make_staff("Sales", full_name="Sara Sälj")


@pytest.fixture
def sales(api_client_for, seller):
    return api_client_for(seller)


@pytest.fixture
def account(seller) -> Account:
    organization = OrganizationFactory(name="Kund AB")
    Address.objects.create(
        organization=organization,
        kind=Address.Kind.SHIPPING,
        line1="Lagergatan 1",
        postal_code="41101",
        city="Göteborg",
    )
    return crm.account_open(actor=seller, organization=organization, owner=seller)


@pytest.fixture
def contact(account):
    return PersonFactory(organization=account.organization, email="kim@kund.example", first_name="Kim")


@pytest.fixture
def product():
    return ProductFactory(name="Drill", list_price=Decimal("1000.00"), tax_rate=TaxRate.objects.get(rate=25))


def _lines() -> list[dict]:
    return [
        {"description": "Consulting", "quantity": Decimal("3"), "unit_price": Decimal("0.35"), "tax_rate": 25},
        {"description": "Books", "quantity": Decimal("2"), "unit_price": Decimal("199.90"), "tax_rate": 6},
    ]


def _json_lines() -> list[dict]:
    return [{"description": "A", "quantity": "1", "unit_price": "10", "tax_rate": "25"}]


def _quote(seller, account, contact=None, **values) -> Quote:
    return services.quote_create(
        actor=seller, account=account, contact=contact, lines=values.pop("lines", _lines()), **values
    )


def _sent_quote(seller, account, contact) -> Quote:
    return services.quote_send(actor=seller, quote=_quote(seller, account, contact))


def _order(seller, account, **values) -> SalesOrder:
    return services.order_create(actor=seller, account=account, lines=values.pop("lines", _lines()), **values)


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- quotes: create, read, change ----------------------------------------------------


def test_a_quote_is_drafted_with_its_lines_and_the_service_computes_the_totals(sales, seller, account, product):
    response = sales.post(
        QUOTES,
        {
            "account": account.pk,
            "lines": [
                {"product": product.pk, "quantity": "2", "discount_percent": "10"},
                {"description": "Installation", "quantity": "1.5", "unit_price": "850", "tax_rate": "25"},
                {"description": "Manual", "quantity": "1", "unit_price": "100.00", "tax_rate": "6"},
            ],
            "total": "1.00",
            "status": "accepted",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    quote = Quote.objects.get()
    assert body["id"] == quote.pk
    assert (body["number"], body["version"], body["reference"]) == (quote.number, 1, quote.number)
    assert (body["status"], body["status_display"]) == ("draft", "Draft")
    assert (body["account"], body["account_name"], body["currency"]) == (account.pk, "Kund AB", "SEK")
    assert (body["owner"], body["owner_name"]) == (seller.pk, "Sara Sälj")
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("3175.00", "774.75", "3949.75")
    assert body["valid_until"] == (timezone.localdate() + timedelta(days=30)).isoformat()
    assert body["pdf_url"] == f"http://testserver/api/v1/sales/quotes/{quote.pk}/pdf/"
    assert body["tax_breakdown"] == [
        {"rate": "25.00", "net": "3075.00", "tax": "768.75"},
        {"rate": "6.00", "net": "100.00", "tax": "6.00"},
    ]
    first, second, third = body["lines"]
    assert first == {
        "id": first["id"],
        "position": 1,
        "product": product.pk,
        "product_sku": product.sku,
        "description": "Drill",
        "quantity": "2.000",
        "unit_price": "1000.00",
        "discount_percent": "10.00",
        "tax_rate": "25.00",
        "net_amount": "1800.00",
        "tax_amount": "450.00",
    }
    assert (second["position"], second["product"], second["product_sku"]) == (2, None, None)
    assert (second["net_amount"], third["net_amount"]) == ("1275.00", "100.00")
    assert (body["previous"], body["sent_at"], body["responded_at"]) == (None, None, None)


def test_a_quote_is_read_with_lines_totals_and_vat_per_rate(sales, seller, account, contact):
    quote = _quote(seller, account, contact)

    response = sales.get(f"{QUOTES}{quote.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["contact"], body["tax_rounding"], body["payment_terms_days"]) == (contact.pk, "total", 30)
    assert [line["description"] for line in body["lines"]] == ["Consulting", "Books"]
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("400.85", "24.25", "425.10")
    assert body["tax_breakdown"] == [
        {"rate": "25.00", "net": "1.05", "tax": "0.26"},
        {"rate": "6.00", "net": "399.80", "tax": "23.99"},
    ]


BAD_LINES = [
    pytest.param(
        {"quantity": "-1"},
        {"lines": {"1": {"quantity": ["Ensure this value is greater than or equal to 0.001."]}}},
        id="negative-quantity",
    ),
    pytest.param(
        {"discount_percent": "101"},
        {"lines": {"1": {"discount_percent": ["Ensure this value is less than or equal to 100."]}}},
        id="discount-over-100",
    ),
    pytest.param(
        {"product": 999999},
        {"lines": {"1": {"product": ['Invalid pk "999999" - object does not exist.']}}},
        id="unknown-product",
    ),
    pytest.param(
        {"quantity": "1.0001"},
        {"lines": {"1": {"quantity": ["Ensure that there are no more than 3 decimal places."]}}},
        id="quantity-decimals",
    ),
    pytest.param(
        {"unit_price": "9.999"},
        {"lines": {"1": {"unit_price": ["Ensure that there are no more than 2 decimal places."]}}},
        id="price-decimals",
    ),
    pytest.param(
        {"quantity": "many"}, {"lines": {"1": {"quantity": ["A valid number is required."]}}}, id="not-a-number"
    ),
    pytest.param(
        {"description": ""},
        {"lines": ["Line 2: description: This field cannot be blank."]},
        id="no-description-no-product",
    ),
]


@pytest.mark.parametrize(("change", "errors"), BAD_LINES)
def test_a_bad_quote_line_is_a_400_naming_the_field_and_saves_nothing(sales, account, change, errors):
    good = {"description": "Ok", "quantity": "1", "unit_price": "5", "tax_rate": "25"}

    response = sales.post(QUOTES, {"account": account.pk, "lines": [good, {**good, **change}]}, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert (Quote.objects.count(), QuoteLine.objects.count()) == (0, 0)


def test_a_line_of_a_product_no_longer_sold_is_refused_by_the_service(sales, account, product):
    product.is_active = False
    product.save()

    response = sales.post(
        QUOTES, {"account": account.pk, "lines": [{"product": product.pk, "quantity": 1}]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"lines": [f"Line 1: {product} is no longer sold."]}
    assert not Quote.objects.exists()


def test_a_quote_without_lines_or_customer_is_a_400(sales, account):
    response = sales.post(QUOTES, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"account", "lines"}


def test_a_contact_of_another_customer_is_a_400_naming_contact(sales, account):
    stranger = PersonFactory(organization=OrganizationFactory())

    response = sales.post(QUOTES, {"account": account.pk, "contact": stranger.pk, "lines": []}, format="json")

    assert response.status_code == 400
    assert response.json() == {"contact": ["This person does not belong to the customer."]}
    assert not Quote.objects.exists()


def test_a_draft_quote_is_changed_and_given_lines_replace_all_lines(sales, seller, account):
    quote = _quote(seller, account)

    response = sales.patch(
        f"{QUOTES}{quote.pk}/",
        {
            "notes": "Prices excl. freight",
            "lines": [{"description": "Only", "quantity": 1, "unit_price": 100, "tax_rate": 25}],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["notes"], body["total"], len(body["lines"])) == ("Prices excl. freight", "125.00", 1)
    assert quote.lines.get().description == "Only"


def test_changing_a_quote_without_lines_keeps_its_lines(sales, seller, account):
    quote = _quote(seller, account)

    response = sales.patch(f"{QUOTES}{quote.pk}/", {"payment_terms_days": 10}, format="json")

    assert response.status_code == 200
    assert (response.json()["payment_terms_days"], response.json()["total"]) == (10, "425.10")
    assert [line.description for line in quote.lines.order_by("position")] == ["Consulting", "Books"]


def test_a_bad_line_in_a_change_is_a_400_and_changes_nothing(sales, seller, account):
    quote = _quote(seller, account)

    response = sales.put(
        f"{QUOTES}{quote.pk}/",
        {
            "account": account.pk,
            "notes": "new",
            "lines": [{"description": "Bad", "quantity": "0", "unit_price": 1, "tax_rate": 25}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"lines": {"0": {"quantity": ["Ensure this value is greater than or equal to 0.001."]}}}
    quote.refresh_from_db()
    assert (quote.notes, quote.total, quote.lines.count()) == ("", Decimal("425.10"), 2)


def test_a_sent_quote_is_not_changed(sales, seller, account, contact):
    quote = _sent_quote(seller, account, contact)

    response = sales.patch(f"{QUOTES}{quote.pk}/", {"notes": "too late"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [f"{quote.number} is sent and can no longer be changed."]}
    quote.refresh_from_db()
    assert quote.notes == ""


def test_nothing_is_deleted_through_the_api(sales, seller, account):
    quote, order = _quote(seller, account), _order(seller, account)

    assert sales.delete(f"{QUOTES}{quote.pk}/").status_code == 405
    assert sales.delete(f"{ORDERS}{order.pk}/").status_code == 405
    assert Quote.objects.filter(pk=quote.pk).exists() and SalesOrder.objects.filter(pk=order.pk).exists()


def test_an_unknown_quote_is_a_404(sales):
    assert sales.get(f"{QUOTES}999999/").status_code == 404
    assert sales.post(f"{QUOTES}999999/send/", {}, format="json").status_code == 404


# --- quotes: actions -----------------------------------------------------------------


def test_sending_a_quote(sales, seller, account, contact, django_capture_on_commit_callbacks):
    quote = _quote(seller, account, contact)

    response = sales.post(
        f"{QUOTES}{quote.pk}/send/", {"to": "Purchasing@Kund.example", "message": "As discussed."}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["sent_to"]) == ("sent", "purchasing@kund.example")
    assert body["sent_at"] is not None


def test_sending_without_an_address_is_a_400_naming_to(sales, seller, account):
    quote = _quote(seller, account)

    response = sales.post(f"{QUOTES}{quote.pk}/send/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"to": ["Give an e-mail address: the quote has no contact with one."]}
    quote.refresh_from_db()
    assert quote.status == "draft"


def test_sending_to_a_malformed_address_is_a_400(sales, seller, account):
    quote = _quote(seller, account)

    response = sales.post(f"{QUOTES}{quote.pk}/send/", {"to": "not an address"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"to": ["Enter a valid email address."]}


def test_revising_a_sent_quote_answers_with_the_new_version(sales, seller, account, contact):
    quote = _sent_quote(seller, account, contact)

    response = sales.post(f"{QUOTES}{quote.pk}/revise/", format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["version"], body["reference"]) == (quote.number, 2, f"{quote.number}-2")
    assert (body["status"], body["previous"], body["previous_reference"]) == ("draft", quote.pk, quote.number)
    assert (body["total"], len(body["lines"])) == ("425.10", 2)
    quote.refresh_from_db()
    assert quote.status == "revised"


def test_a_draft_is_not_revised(sales, seller, account):
    quote = _quote(seller, account)

    response = sales.post(f"{QUOTES}{quote.pk}/revise/", format="json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Only a sent or declined quote is revised; a draft is simply edited."]
    }
    assert Quote.objects.count() == 1


def test_staff_register_the_customers_yes_and_get_the_drafted_order(sales, seller, account, contact):
    stage = PipelineStage.objects.get(name="Qualification")
    opportunity = services.opportunity_create(actor=seller, account=account, name="Drills", stage=stage)
    quote = services.quote_send(actor=seller, quote=_quote(seller, account, contact, opportunity=opportunity))

    response = sales.post(f"{QUOTES}{quote.pk}/accept/", {"name": "Kim Ek", "note": "Yes, on the phone"}, format="json")

    assert response.status_code == 201, response.content
    order = SalesOrder.objects.get()
    body = response.json()
    assert (body["id"], body["number"], body["status"]) == (order.pk, order.number, "draft")
    assert (body["quote"], body["quote_reference"], body["total"]) == (quote.pk, quote.number, "425.10")
    assert len(body["lines"]) == 2
    quote.refresh_from_db()
    assert (quote.status, quote.responded_by, quote.responded_by_name) == ("accepted", seller, "Kim Ek")
    assert quote.response_note == "Yes, on the phone"
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.WON


def test_a_draft_quote_is_not_accepted(sales, seller, account):
    quote = _quote(seller, account)

    response = sales.post(f"{QUOTES}{quote.pk}/accept/", {"name": "Kim"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This quote is draft and can no longer be answered."]}
    assert not SalesOrder.objects.exists()


def test_staff_register_the_customers_no(sales, seller, account, contact):
    quote = _sent_quote(seller, account, contact)

    response = sales.post(f"{QUOTES}{quote.pk}/decline/", {"name": "Kim Ek", "note": "Too expensive"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["responded_by"], body["responded_by_name"]) == ("declined", seller.pk, "Kim Ek")
    assert body["response_note"] == "Too expensive" and body["responded_at"] is not None


def test_withdrawing_a_quote(sales, seller, account):
    quote = _quote(seller, account)

    response = sales.post(f"{QUOTES}{quote.pk}/cancel/", format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = sales.post(f"{QUOTES}{quote.pk}/cancel/", format="json")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["Only a draft or a sent quote can be withdrawn."]}


# --- quotes: list --------------------------------------------------------------------


def test_the_quote_list_filters_searches_and_orders(sales, seller, account, contact, make_staff):
    other_account = crm.account_open(actor=seller, organization=OrganizationFactory(name="Annan AB"))
    colleague = make_staff("Sales")
    small = _quote(seller, account, lines=[{"description": "A", "quantity": 1, "unit_price": 10, "tax_rate": 25}])
    sent = _sent_quote(seller, account, contact)
    other = _quote(colleague, other_account)

    assert _ids(sales.get(QUOTES)) == [other.pk, sent.pk, small.pk]
    assert _ids(sales.get(QUOTES, {"status": "sent"})) == [sent.pk]
    assert _ids(sales.get(QUOTES, {"account": other_account.pk})) == [other.pk]
    assert _ids(sales.get(QUOTES, {"owner": colleague.pk})) == [other.pk]
    assert _ids(sales.get(QUOTES, {"search": small.number.lower()})) == [small.pk]
    assert _ids(sales.get(QUOTES, {"search": "annan"})) == [other.pk]
    assert _ids(sales.get(QUOTES, {"ordering": "total"})) == [small.pk, sent.pk, other.pk]
    row = sales.get(QUOTES, {"status": "sent"}).json()["results"][0]
    assert (row["reference"], row["total"], row["account_name"]) == (sent.number, "425.10", "Kund AB")
    assert "lines" not in row


def test_an_unknown_status_filter_is_a_400(sales):
    response = sales.get(QUOTES, {"status": "maybe"})

    assert response.status_code == 400
    assert "status" in response.json()


def _count_queries(client, url: str) -> int:
    client.get(url)  # the first request puts the user's rights in the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_quote_list_takes_the_same_queries_for_3_and_20_quotes(sales, seller, account, contact):
    for _ in range(3):
        _sent_quote(seller, account, contact)
    few = _count_queries(sales, QUOTES)
    for _ in range(17):
        _quote(seller, account, contact)

    assert _count_queries(sales, QUOTES) == few


# --- orders --------------------------------------------------------------------------


def test_an_order_is_drafted_directly_with_its_lines(sales, seller, account, product):
    response = sales.post(
        ORDERS,
        {
            "account": account.pk,
            "customer_reference": "PO-4711",
            "lines": [{"product": product.pk, "quantity": "3"}],
            "invoice_status": "paid",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    order = SalesOrder.objects.get()
    assert (body["id"], body["number"], body["status"], body["customer_reference"]) == (
        order.pk,
        order.number,
        "draft",
        "PO-4711",
    )
    assert (body["invoice_status"], body["invoice_status_display"]) == ("not-invoiced", "Not yet invoiced")
    assert (body["delivery_status"], body["delivery_status_display"]) == ("not-delivered", "Not yet delivered")
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("3000.00", "750.00", "3750.00")
    assert body["tax_breakdown"] == [{"rate": "25.00", "net": "3000.00", "tax": "750.00"}]
    assert body["delivery_address"] == Address.objects.get(organization=account.organization).pk
    assert (body["quote"], body["quote_reference"], body["confirmed_at"]) == (None, None, None)


def test_a_bad_order_line_is_a_400_and_saves_nothing(sales, account):
    response = sales.post(
        ORDERS,
        {
            "account": account.pk,
            "lines": [
                {"description": "Ok", "quantity": "1", "unit_price": "5", "tax_rate": "25"},
                {"description": "Bad", "quantity": "1", "unit_price": "5", "tax_rate": "25", "discount_percent": "-5"},
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "lines": {"1": {"discount_percent": ["Ensure this value is greater than or equal to 0."]}}
    }
    assert (SalesOrder.objects.count(), SalesOrderLine.objects.count()) == (0, 0)


def test_a_draft_order_is_changed(sales, seller, account):
    order = _order(seller, account)

    response = sales.patch(
        f"{ORDERS}{order.pk}/",
        {
            "customer_reference": "PO-1",
            "lines": [{"description": "X", "quantity": 2, "unit_price": 10, "tax_rate": 25}],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["customer_reference"], response.json()["total"]) == ("PO-1", "25.00")


def test_confirming_an_order_tells_the_back_office_and_a_second_time_is_a_400(sales, seller, account):
    order = _order(seller, account)

    response = sales.post(f"{ORDERS}{order.pk}/confirm/", format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed" and response.json()["confirmed_at"] is not None
    assert OutboxEvent.objects.filter(name="sales.order_confirmed").count() == 1
    again = sales.post(f"{ORDERS}{order.pk}/confirm/", format="json")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": [f"{order.number} is confirmed and can no longer be changed."]}
    assert OutboxEvent.objects.filter(name="sales.order_confirmed").count() == 1
    changed = sales.patch(f"{ORDERS}{order.pk}/", {"customer_reference": "late"}, format="json")
    assert changed.status_code == 400


def test_an_order_of_a_customer_on_credit_hold_is_not_confirmed(sales, seller, account):
    order = _order(seller, account)
    services.credit_hold_apply(
        organization_id=account.organization_id, on_hold=True, reason="90 days overdue", as_of=timezone.now()
    )

    response = sales.post(f"{ORDERS}{order.pk}/confirm/", format="json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Kund AB is on credit hold (90 days overdue): finance must release it before a new order is confirmed."
        ]
    }
    order.refresh_from_db()
    assert order.status == "draft"
    assert not OutboxEvent.objects.filter(name="sales.order_confirmed").exists()


def test_cancelling_an_order_needs_a_reason(sales, seller, account):
    order = _order(seller, account)
    services.order_confirm(actor=seller, order=order)

    missing = sales.post(f"{ORDERS}{order.pk}/cancel/", {}, format="json")
    response = sales.post(f"{ORDERS}{order.pk}/cancel/", {"reason": "Customer changed their mind"}, format="json")

    assert missing.status_code == 400
    assert missing.json() == {"reason": ["Say why the order is cancelled."]}
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["cancel_reason"]) == ("cancelled", "Customer changed their mind")
    assert OutboxEvent.objects.filter(name="sales.order_cancelled").count() == 1


def test_an_order_is_drafted_from_an_accepted_quote_once(sales, seller, account, contact):
    quote = _sent_quote(seller, account, contact)
    # Accepted before orders were drafted on acceptance: the quote has no order yet.
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.ACCEPTED, responded_at=timezone.now())

    response = sales.post(f"{ORDERS}from-quote/", {"quote": quote.pk}, format="json")
    again = sales.post(f"{ORDERS}from-quote/", {"quote": quote.pk}, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["quote"], response.json()["total"]) == (quote.pk, "425.10")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This quote already has its order."]}
    assert SalesOrder.objects.count() == 1


def test_only_an_accepted_quote_becomes_an_order(sales, seller, account):
    quote = _quote(seller, account)

    response = sales.post(f"{ORDERS}from-quote/", {"quote": quote.pk}, format="json")
    unknown = sales.post(f"{ORDERS}from-quote/", {"quote": 999999}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Only an accepted quote becomes an order."]}
    assert unknown.status_code == 400
    assert unknown.json() == {"quote": ['Invalid pk "999999" - object does not exist.']}
    assert not SalesOrder.objects.exists()


def test_the_order_list_filters_by_status_invoicing_and_delivery(sales, seller, account):
    draft = _order(seller, account, customer_reference="PO-77")
    invoiced = _order(seller, account)
    services.order_confirm(actor=seller, order=invoiced)
    SalesOrder.objects.filter(pk=invoiced.pk).update(invoice_status="invoiced", delivery_status="partly")

    assert _ids(sales.get(ORDERS)) == [invoiced.pk, draft.pk]
    assert _ids(sales.get(ORDERS, {"status": "confirmed"})) == [invoiced.pk]
    assert _ids(sales.get(ORDERS, {"invoice_status": "invoiced"})) == [invoiced.pk]
    assert _ids(sales.get(ORDERS, {"delivery_status": "not-delivered"})) == [draft.pk]
    assert _ids(sales.get(ORDERS, {"search": "po-77"})) == [draft.pk]
    assert _ids(sales.get(ORDERS, {"account": account.pk, "ordering": "created_at"})) == [draft.pk, invoiced.pk]
    row = sales.get(ORDERS, {"invoice_status": "invoiced"}).json()["results"][0]
    assert (row["invoice_status_display"], row["delivery_status_display"]) == ("Invoiced", "Partly delivered")


def test_the_order_list_takes_the_same_queries_for_3_and_20_orders(sales, seller, account, contact):
    for _ in range(2):
        _order(seller, account)
    services.quote_accept(quote=_sent_quote(seller, account, contact), name="Kim")
    few = _count_queries(sales, ORDERS)
    for _ in range(16):
        _order(seller, account)
    services.quote_accept(quote=_sent_quote(seller, account, contact), name="Kim")

    assert SalesOrder.objects.count() == 20
    assert _count_queries(sales, ORDERS) == few


# --- rights --------------------------------------------------------------------------


def test_customer_service_reads_orders_but_does_not_change_them_nor_see_quotes(
    api_client_for, make_staff, seller, account
):
    order = _order(seller, account)
    quote = _quote(seller, account)
    service = api_client_for(make_staff("Customer Service"))

    assert _ids(service.get(ORDERS)) == [order.pk]
    assert service.get(f"{ORDERS}{order.pk}/").status_code == 200
    assert service.post(f"{ORDERS}{order.pk}/confirm/", format="json").status_code == 403
    assert service.post(f"{ORDERS}{order.pk}/cancel/", {"reason": "x"}, format="json").status_code == 403
    assert service.patch(f"{ORDERS}{order.pk}/", {"customer_reference": "x"}, format="json").status_code == 403
    assert service.get(QUOTES).status_code == 403
    assert service.post(f"{QUOTES}{quote.pk}/send/", {"to": "a@b.example"}, format="json").status_code == 403
    order.refresh_from_db()
    assert (order.status, order.customer_reference) == ("draft", "")


def test_marketing_may_not_draft_orders(api_client_for, make_staff, account):
    marketing = api_client_for(make_staff("Marketing"))

    response = marketing.post(ORDERS, {"account": account.pk, "lines": _json_lines()}, format="json")

    assert response.status_code == 403
    assert not SalesOrder.objects.exists()


def test_customers_get_403_on_quotes_and_orders(api_client_for, customer_user, seller, account):
    quote, order = _quote(seller, account), _order(seller, account)
    customer = api_client_for(customer_user)

    assert customer.get(QUOTES).status_code == 403
    assert customer.get(f"{QUOTES}{quote.pk}/").status_code == 403
    assert customer.get(ORDERS).status_code == 403
    assert customer.get(f"{ORDERS}{order.pk}/").status_code == 403
    assert customer.post(QUOTES, {"account": account.pk, "lines": _json_lines()}, format="json").status_code == 403
    assert customer.post(f"{ORDERS}{order.pk}/confirm/", format="json").status_code == 403


def test_signed_out_clients_get_401(api_client):
    assert api_client.get(QUOTES).status_code == 401
    assert api_client.get(ORDERS).status_code == 401


def test_the_quote_pdf_comes_with_a_token(api_client_for, make_staff, customer_user):
    seller = make_staff("Sales")
    account = crm.account_open(actor=seller, organization=OrganizationFactory(name="Pdf AB"))
    quote = services.quote_create(
        actor=seller, account=account, lines=[{"description": "x", "quantity": 1, "unit_price": 10, "tax_rate": 25}]
    )
    url = f"/api/v1/sales/quotes/{quote.pk}/pdf/"
    for accept in ("*/*", "application/pdf"):
        response = api_client_for(seller).get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    assert api_client_for(make_staff("HR")).get(url).status_code == 403
    assert api_client_for(customer_user).get(url).status_code == 403
