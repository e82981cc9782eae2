"""Staff pages of quotes and orders: forms with lines, actions, lists, permissions."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.catalog.tests.factories import ProductFactory
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.crm import services as crm
from frontoffice.sales import services
from frontoffice.sales.models import Quote, SalesOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(make_staff):
    return make_staff("Sales")


@pytest.fixture
def account(sales):
    return crm.account_open(actor=sales, organization=OrganizationFactory(name="Kund AB"), owner=sales)


def _formset(lines: list[dict], prefix: str = "lines") -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(lines)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, line in enumerate(lines):
        data.update({f"{prefix}-{index}-{name}": value for name, value in line.items()})
    return data


def _head(**values) -> dict:
    return {
        "currency": "SEK",
        "payment_terms_days": "30",
        "tax_rounding": "total",
        "valid_until": (timezone.localdate()).isoformat(),
        **values,
    }


def test_new_quote_asks_for_the_customer_first(client, sales, account):
    client.force_login(sales)
    html = client.get(reverse("sales:quote-create")).content.decode()
    assert "Choose the customer first" in html
    html = client.get(reverse("sales:quote-create"), {"account": account.pk}).content.decode()
    assert "For Kund AB" in html and 'name="lines-TOTAL_FORMS"' in html


def test_a_quote_is_made_with_product_and_text_lines(client, sales, account):
    product = ProductFactory(list_price=Decimal("1000.00"))
    contact = PersonFactory(organization=account.organization)
    client.force_login(sales)
    data = {
        **_head(contact=contact.pk),
        **_formset(
            [
                {"product": product.pk, "quantity": "2", "discount_percent": "10"},
                {"description": "Installation", "quantity": "1", "unit_price": "500", "tax_rate": "25"},
                {},  # an untouched extra form is ignored
            ]
        ),
    }
    response = client.post(reverse("sales:quote-create") + f"?account={account.pk}", data)
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == quote.get_absolute_url()
    assert (quote.subtotal, quote.tax_total, quote.total) == (Decimal("2300.00"), Decimal("575.00"), Decimal("2875.00"))
    html = client.get(quote.get_absolute_url()).content.decode()
    assert quote.number in html and "Installation" in html and "VAT 25 % on" in html


def test_bad_lines_come_back_with_their_errors_and_nothing_is_saved(client, sales, account):
    client.force_login(sales)
    data = {
        **_head(),
        **_formset([{"description": "No price", "quantity": "1"}, {"description": "x", "quantity": "-1"}]),
    }
    response = client.post(reverse("sales:quote-create") + f"?account={account.pk}", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "A line without a product needs a price." in html
    assert "Ensure this value is greater than or equal to 0.001." in html
    assert not Quote.objects.exists()
    response = client.post(reverse("sales:quote-create") + f"?account={account.pk}", {**_head(), **_formset([{}])})
    assert "Add at least one line." in response.content.decode() and not Quote.objects.exists()


def test_another_customers_contact_is_not_offered_nor_accepted(client, sales, account):
    stranger = PersonFactory(organization=OrganizationFactory())
    client.force_login(sales)
    data = {
        **_head(contact=stranger.pk),
        **_formset([{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "25"}]),
    }
    response = client.post(reverse("sales:quote-create") + f"?account={account.pk}", data)
    assert "Select a valid choice" in response.content.decode() and not Quote.objects.exists()


def _quote(sales, account, **values):
    lines = [{"description": "Work", "quantity": 1, "unit_price": Decimal("100"), "tax_rate": 25}]
    return services.quote_create(actor=sales, account=account, lines=lines, **values)


def test_edit_send_revise_from_the_quote_page(client, sales, account, django_capture_on_commit_callbacks):
    quote = _quote(sales, account)
    client.force_login(sales)
    response = client.get(reverse("sales:quote-edit", args=[quote.pk]))
    assert 'value="Work"' in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sales:quote-send", args=[quote.pk]), {"to": "buyer@kund.example"}, follow=True)
    assert "on its way" in response.content.decode() and mail.outbox[0].to == ["buyer@kund.example"]
    response = client.get(reverse("sales:quote-edit", args=[quote.pk]), follow=True)
    assert "revise it to make a new version" in response.content.decode()
    response = client.post(reverse("sales:quote-revise", args=[quote.pk]), follow=True)
    revision = Quote.objects.get(version=2)
    assert response.redirect_chain[-1][0] == revision.get_absolute_url()
    response = client.post(reverse("sales:quote-send", args=[quote.pk]), {"to": "x@example.com"}, follow=True)
    assert "Only a draft or a sent quote can be sent." in response.content.decode()


def test_the_pdf_is_served(client, sales, account):
    quote = _quote(sales, account)
    client.force_login(sales)
    response = client.get(reverse("sales:quote-pdf", args=[quote.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_an_order_is_entered_confirmed_or_refused_on_credit_hold(client, sales, account):
    client.force_login(sales)
    data = {
        **_head(customer_reference="PO-1"),
        **_formset([{"description": "Box", "quantity": "3", "unit_price": "10", "tax_rate": "25"}]),
    }
    data.pop("valid_until")
    response = client.post(reverse("sales:order-create") + f"?account={account.pk}", data)
    order = SalesOrder.objects.get()
    assert response["Location"] == order.get_absolute_url() and order.total == Decimal("37.50")
    services.credit_hold_apply(
        organization_id=account.organization_id, on_hold=True, reason="Unpaid invoices", as_of=timezone.now()
    )
    html = client.get(order.get_absolute_url()).content.decode()
    assert "on credit hold (Unpaid invoices)" in html and "Not yet invoiced" in html and "Not yet delivered" in html
    response = client.post(reverse("sales:order-confirm", args=[order.pk]), follow=True)
    assert "finance must release it" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "draft"
    services.credit_hold_apply(organization_id=account.organization_id, on_hold=False, reason="", as_of=timezone.now())
    client.post(reverse("sales:order-confirm", args=[order.pk]))
    response = client.post(reverse("sales:order-cancel", args=[order.pk]), {"reason": ""}, follow=True)
    assert "Say why the order is cancelled." in response.content.decode()
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_an_accepted_quote_links_to_its_order(client, sales, account):
    contact = PersonFactory(organization=account.organization, email="kim@kund.example")
    quote = services.quote_send(actor=sales, quote=_quote(sales, account, contact=contact))
    order = services.quote_accept(quote=quote, name="Kim")
    client.force_login(sales)
    html = client.get(quote.get_absolute_url()).content.decode()
    assert order.get_absolute_url() in html


def test_who_sees_and_who_changes(client, make_staff, sales, account, customer_user):
    order = services.order_create(
        actor=sales, account=account, lines=[{"description": "x", "quantity": 1, "unit_price": 1, "tax_rate": 25}]
    )
    quote = _quote(sales, account)
    service_agent = make_staff("Customer Service")
    client.force_login(service_agent)
    assert client.get(order.get_absolute_url()).status_code == 200
    assert client.post(reverse("sales:order-confirm", args=[order.pk])).status_code == 403
    assert client.get(quote.get_absolute_url()).status_code == 403
    client.force_login(make_staff("Marketing"))
    assert client.get(reverse("sales:order-list")).status_code == 403
    client.force_login(customer_user)
    assert client.get(quote.get_absolute_url()).status_code == 403
    assert client.get(reverse("sales:quote-pdf", args=[quote.pk])).status_code == 403


@pytest.mark.parametrize("url_name", ["sales:quote-list", "sales:order-list"])
def test_lists_take_the_same_queries_for_3_or_30_rows(client, sales, account, url_name, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(sales)

    def make(count):
        for _ in range(count):
            _quote(sales, account)
            services.order_create(
                actor=sales,
                account=account,
                lines=[{"description": "x", "quantity": 1, "unit_price": 1, "tax_rate": 25}],
            )

    make(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    make(27)
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse(url_name), {"q": "Kund"}).content.decode()
    assert "Kund AB" in html
    assert len(many) <= len(few) + 1  # the search adds nothing per row
    assert len(many) <= 15


def test_the_opportunity_page_lists_its_quotes(client, sales, account):
    from frontoffice.sales.models import PipelineStage

    stage = PipelineStage.objects.order_by("position").first()
    opportunity = services.opportunity_create(actor=sales, name="Deal", account=account, stage=stage, amount=10)
    quote = _quote(sales, account, opportunity=opportunity)
    _quote(sales, account)  # another deal's
    client.force_login(sales)
    html = client.get(opportunity.get_absolute_url()).content.decode()
    assert re.findall(r'href="(/app/sales/quotes/\d+/)"', html) == [quote.get_absolute_url()]


def test_a_garbled_opportunity_in_the_link_is_ignored(client, sales, account):
    client.force_login(sales)
    response = client.get(reverse("sales:quote-create"), {"account": account.pk, "opportunity": "x1"})
    assert response.status_code == 200 and "For Kund AB" in response.content.decode()


def test_the_services_refusals_show_on_the_lines_and_the_head(client, sales, account, monkeypatch):
    from core.exceptions import ServiceError

    def refuse(**values):
        raise ServiceError({"lines": "Line 1: no longer sold.", "contact": "Not the customer's."})

    monkeypatch.setattr(services, "quote_create", refuse)
    client.force_login(sales)
    data = {**_head(), **_formset([{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "25"}])}
    html = client.post(reverse("sales:quote-create") + f"?account={account.pk}", data).content.decode()
    assert "Line 1: no longer sold." in html and "Not the customer&#x27;s." in html


def test_orders_are_filtered_by_invoicing_and_delivery(client, sales, account):
    line = [{"description": "x", "quantity": 1, "unit_price": 1, "tax_rate": 25}]
    delivered = services.order_confirm(
        actor=sales, order=services.order_create(actor=sales, account=account, lines=line)
    )
    waiting = services.order_create(actor=sales, account=account, lines=line)
    services.order_record_back_office(order_id=delivered.pk, delivery_status="delivered")
    client.force_login(sales)
    html = client.get(reverse("sales:order-list"), {"delivery_status": "delivered"}).content.decode()
    assert delivered.number in html and waiting.number not in html
    html = client.get(reverse("sales:order-list"), {"invoice_status": "invoiced"}).content.decode()
    assert delivered.number not in html and "Nothing matches these filters" in html
