"""Quotes (lines, versions, sending, the customer's answer) and orders (confirm, cancel, credit hold): services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.catalog.models import TaxRate
from core.catalog.tests.factories import ProductFactory
from core.notifications.models import Notification
from core.parties.models import Address
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.crm import services as crm
from frontoffice.sales import selectors, services
from frontoffice.sales.models import CreditHold, Opportunity, PipelineStage, Quote, SalesOrder
from integration.bus.models import OutboxEvent
from integration.customer360.models import TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(make_staff):
    return make_staff("Sales")


@pytest.fixture
def account(sales):
    organization = OrganizationFactory(name="Kund AB", vat_number="SE556000000101")
    Address.objects.create(
        organization=organization,
        kind=Address.Kind.SHIPPING,
        line1="Lagergatan 1",
        postal_code="41101",
        city="Göteborg",
    )
    return crm.account_open(actor=sales, organization=organization, owner=sales)


@pytest.fixture
def contact(account):
    return PersonFactory(organization=account.organization, email="kim@kund.example", first_name="Kim")


@pytest.fixture
def product():
    return ProductFactory(list_price=Decimal("1000.00"), tax_rate=TaxRate.objects.get(rate=25))


def _quote(sales, account, contact=None, **values):
    lines = values.pop(
        "lines",
        [
            {"description": "Consulting", "quantity": Decimal("3"), "unit_price": Decimal("0.35"), "tax_rate": 25},
            {"description": "Books", "quantity": Decimal("2"), "unit_price": Decimal("199.90"), "tax_rate": 6},
        ],
    )
    return services.quote_create(actor=sales, account=account, contact=contact, lines=lines, **values)


def test_a_quote_prices_its_lines_and_totals(sales, account, product):
    quote = _quote(
        sales,
        account,
        lines=[
            {"product": product, "quantity": Decimal("2"), "discount_percent": Decimal("10")},
            {"description": "Installation", "quantity": Decimal("1.5"), "unit_price": Decimal("850"), "tax_rate": 25},
        ],
    )
    first, second = quote.lines.order_by("position")
    assert (first.description, first.unit_price, first.tax_rate) == (product.name, Decimal("1000.00"), 25)
    assert (first.net_amount, first.tax_amount) == (Decimal("1800.00"), Decimal("450.00"))
    assert (second.net_amount, second.tax_amount) == (Decimal("1275.00"), Decimal("318.75"))
    assert (quote.subtotal, quote.tax_total, quote.total) == (Decimal("3075.00"), Decimal("768.75"), Decimal("3843.75"))
    assert quote.number.startswith("Q-") and quote.version == 1 and quote.status == "draft"
    assert quote.valid_until == timezone.localdate() + timedelta(days=30)


def test_a_bad_line_is_refused_naming_the_line_and_saves_nothing(sales, account):
    with pytest.raises(ValidationError) as error:
        _quote(
            sales,
            account,
            lines=[
                {"description": "Ok", "quantity": 1, "unit_price": 5, "tax_rate": 25},
                {"description": "Bad", "quantity": Decimal("-1"), "unit_price": 5, "tax_rate": 25},
            ],
        )
    assert "Line 2" in error.value.message_dict["lines"][0]
    assert not Quote.objects.exists()


def test_vat_rounding_per_line_or_per_total_is_kept_on_the_quote(sales, account):
    lines = [{"description": "Tiny", "quantity": 1, "unit_price": Decimal("0.02"), "tax_rate": 25}] * 3
    per_total = _quote(sales, account, lines=lines)
    per_line = _quote(sales, account, lines=lines, tax_rounding="line")
    assert (per_total.tax_total, per_line.tax_total) == (Decimal("0.02"), Decimal("0.03"))


def test_the_database_refuses_totals_that_do_not_add_up(sales, account):
    quote = _quote(sales, account)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.filter(pk=quote.pk).update(total=quote.total + 1)


def test_a_customer_contact_must_be_the_customers(sales, account):
    stranger = PersonFactory(organization=OrganizationFactory())
    with pytest.raises(ValidationError) as error:
        _quote(sales, account, contact=stranger)
    assert "contact" in error.value.message_dict


def test_a_draft_is_edited_a_sent_quote_is_revised(sales, account, contact, django_capture_on_commit_callbacks):
    quote = _quote(sales, account, contact)
    quote = services.quote_update(
        actor=sales, quote=quote, lines=[{"description": "Only", "quantity": 1, "unit_price": 100, "tax_rate": 25}]
    )
    assert quote.total == Decimal("125.00") and quote.lines.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.quote_send(actor=sales, quote=quote)
    with pytest.raises(ValidationError):
        services.quote_update(actor=sales, quote=quote, notes="too late")
    revision = services.quote_revise(actor=sales, quote=quote)
    quote.refresh_from_db()
    assert (quote.status, revision.status) == ("revised", "draft")
    assert (revision.number, revision.version, revision.previous) == (quote.number, 2, quote)
    assert revision.reference == f"{quote.number}-2" and revision.total == quote.total
    assert [v.version for v in selectors.quote_versions(quote=revision)] == [2, 1]


def test_sending_mails_the_pdf_and_a_link_that_answers_the_quote(
    sales, account, contact, django_capture_on_commit_callbacks
):
    quote = _quote(sales, account, contact)
    with django_capture_on_commit_callbacks(execute=True):
        quote = services.quote_send(actor=sales, quote=quote, message="As discussed.")
    assert (quote.status, quote.sent_to) == ("sent", "kim@kund.example")
    (message,) = mail.outbox
    assert quote.reference in message.subject and "As discussed." in message.body
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == (f"{quote.number}.pdf", "application/pdf") and content.startswith(b"%PDF")
    link = next(word for word in message.body.split() if "/portal/quotes/" in word)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert services.quote_from_token(token) == quote


def test_a_quote_without_lines_or_address_is_not_sent(sales, account):
    quote = _quote(sales, account, lines=[])
    with pytest.raises(ValidationError, match="at least one line"):
        services.quote_send(actor=sales, quote=quote)
    quote = _quote(sales, account)
    with pytest.raises(ValidationError) as error:
        services.quote_send(actor=sales, quote=quote)
    assert "to" in error.value.message_dict


def test_forged_and_expired_links_are_refused(sales, account, contact, settings):
    quote = _quote(sales, account, contact)
    token = services.quote_link_token(quote)
    with pytest.raises(ValidationError, match="not valid"):
        services.quote_from_token(token[:-2] + "xx")
    with pytest.raises(ValidationError, match="not valid"):
        services.quote_from_token(signing.dumps({"quote": quote.pk, "version": 1}, salt="another purpose"))
    settings.QUOTE_LINK_MAX_AGE = -1
    with pytest.raises(ValidationError, match="expired"):
        services.quote_from_token(token)


def _sent(sales, account, contact, **values):
    quote = _quote(sales, account, contact, **values)
    return services.quote_send(actor=sales, quote=quote)


def test_accepting_records_who_and_when_wins_the_deal_and_drafts_the_order(sales, account, contact, customer_user):
    stage = PipelineStage.objects.order_by("position").first()
    opportunity = services.opportunity_create(actor=sales, name="Deal", account=account, stage=stage, amount=10)
    quote = _sent(sales, account, contact, opportunity=opportunity)
    order = services.quote_accept(quote=quote, user=customer_user, note="Go ahead")
    quote.refresh_from_db()
    opportunity.refresh_from_db()
    assert (quote.status, quote.responded_by, quote.response_note) == ("accepted", customer_user, "Go ahead")
    assert quote.responded_at is not None and quote.responded_by_name == customer_user.full_name
    assert opportunity.status == Opportunity.Status.WON
    assert (order.status, order.quote, order.total, order.lines.count()) == ("draft", quote, quote.total, 2)
    assert order.delivery_address.city == "Göteborg"
    assert Notification.objects.filter(recipient=sales, kind="sales.quote_answered").exists()
    with pytest.raises(ValidationError, match="no longer be answered"):
        services.quote_decline(quote=quote, name="Someone")


def test_an_anonymous_answer_needs_a_name(sales, account, contact):
    quote = _sent(sales, account, contact)
    with pytest.raises(ValidationError) as error:
        services.quote_decline(quote=quote, name="  ")
    assert "name" in error.value.message_dict
    quote = services.quote_decline(quote=quote, name="Kim Ek", note="Too expensive")
    assert (quote.status, quote.responded_by, quote.responded_by_name) == ("declined", None, "Kim Ek")


def test_an_expired_or_revised_quote_cannot_be_accepted(sales, account, contact):
    quote = _sent(sales, account, contact)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError, match="expired"):
        services.quote_accept(quote=quote, name="Kim")
    quote = _sent(sales, account, contact)
    services.quote_revise(actor=sales, quote=quote)
    with pytest.raises(ValidationError, match="newer version"):
        services.quote_accept(quote=quote, name="Kim")


def _order(sales, account, **values):
    return services.order_create(
        actor=sales,
        account=account,
        lines=[{"description": "Widget", "quantity": 4, "unit_price": Decimal("12.50"), "tax_rate": 25}],
        **values,
    )


def test_confirming_an_order_publishes_everything_the_back_office_needs(sales, account, product):
    order = services.order_create(
        actor=sales,
        account=account,
        customer_reference="PO-77",
        payment_terms_days=10,
        lines=[{"product": product, "quantity": 2}],
    )
    order = services.order_confirm(actor=sales, order=order)
    assert order.status == "confirmed" and order.confirmed_at
    payload = OutboxEvent.objects.get(name="sales.order_confirmed").payload
    assert payload["order_number"] == order.number and payload["organization_id"] == account.organization_id
    assert (payload["currency"], payload["payment_terms_days"], payload["customer_reference"]) == ("SEK", 10, "PO-77")
    assert (payload["subtotal"], payload["tax_total"], payload["total"]) == ("2000.00", "500.00", "2500.00")
    (line,) = payload["lines"]
    assert (line["sku"], line["quantity"], line["unit_price"], line["net_amount"]) == (
        product.sku,
        "2.000",
        "1000.00",
        "2000.00",
    )
    assert payload["delivery_address"]["city"] == "Göteborg"
    account.refresh_from_db()
    assert account.lifecycle_stage == "customer"
    with pytest.raises(ValidationError):
        services.order_confirm(actor=sales, order=order)
    assert OutboxEvent.objects.filter(name="sales.order_confirmed").count() == 1


def test_an_empty_order_is_not_confirmed(sales, account):
    order = services.order_create(actor=sales, account=account, lines=[])
    with pytest.raises(ValidationError, match="at least one line"):
        services.order_confirm(actor=sales, order=order)


def test_a_customer_on_credit_hold_gets_no_new_order_confirmed(sales, account):
    order = _order(sales, account)
    now = timezone.now()
    services.credit_hold_apply(
        organization_id=account.organization_id, on_hold=True, reason="90 days overdue", as_of=now
    )
    with pytest.raises(ValidationError, match="credit hold .90 days overdue."):
        services.order_confirm(actor=sales, order=order)
    order.refresh_from_db()
    assert order.status == "draft" and not OutboxEvent.objects.filter(name="sales.order_confirmed").exists()
    # an older event arriving late does not release the hold
    services.credit_hold_apply(
        organization_id=account.organization_id, on_hold=False, reason="", as_of=now - timedelta(hours=1)
    )
    assert CreditHold.objects.get(organization=account.organization).on_hold
    services.credit_hold_apply(organization_id=account.organization_id, on_hold=False, reason="", as_of=now)
    assert services.order_confirm(actor=sales, order=order).status == "confirmed"


def test_cancelling_a_confirmed_order_tells_the_back_office(sales, account):
    order = services.order_confirm(actor=sales, order=_order(sales, account))
    with pytest.raises(ValidationError) as error:
        services.order_cancel(actor=sales, order=order, reason=" ")
    assert "reason" in error.value.message_dict
    order = services.order_cancel(actor=sales, order=order, reason="Customer changed their mind")
    assert order.status == "cancelled"
    payload = OutboxEvent.objects.get(name="sales.order_cancelled").payload
    assert (payload["order_number"], payload["reason"]) == (order.number, "Customer changed their mind")
    with pytest.raises(ValidationError, match="already cancelled"):
        services.order_cancel(actor=sales, order=order, reason="again")


def test_cancelling_a_draft_publishes_nothing(sales, account):
    services.order_cancel(actor=sales, order=_order(sales, account), reason="Entered twice")
    assert not OutboxEvent.objects.filter(name="sales.order_cancelled").exists()


def test_an_order_shows_not_yet_invoiced_and_not_yet_delivered(sales, account):
    order = services.order_confirm(actor=sales, order=_order(sales, account))
    assert order.get_invoice_status_display() == "Not yet invoiced"
    assert order.get_delivery_status_display() == "Not yet delivered"


def test_merging_customers_moves_opportunities_quotes_and_orders(sales, account, contact):
    duplicate = OrganizationFactory(name="Kund Aktiebolag")
    other = crm.account_open(actor=sales, organization=duplicate)
    stage = PipelineStage.objects.order_by("position").first()
    opportunity = services.opportunity_create(actor=sales, name="Deal", account=other, stage=stage, amount=10)
    quote = _quote(sales, other)
    order = _order(sales, other)
    crm.customers_merge(actor=sales, survivor=account.organization, duplicate=duplicate)
    for record in (opportunity, quote, order):
        record.refresh_from_db()
        assert record.account_id == account.pk


def test_the_customer_sales_summary_counts_open_deals_and_orders(sales, account, django_assert_max_num_queries):
    stage = PipelineStage.objects.order_by("position").first()
    for amount in (100, 250):
        services.opportunity_create(actor=sales, name="Deal", account=account, stage=stage, amount=amount)
    services.order_confirm(actor=sales, order=_order(sales, account))
    services.order_cancel(actor=sales, order=_order(sales, account), reason="No")
    with django_assert_max_num_queries(2):
        summary = selectors.customer_sales_summary(organization_id=account.organization_id)
    assert summary["open_opportunity_count"] == 2
    assert sorted(o.amount for o in summary["open_opportunities"]) == [Decimal("100.00"), Decimal("250.00")]
    assert [order.status for order in summary["open_orders"]] == [SalesOrder.Status.CONFIRMED]


def test_a_declined_quote_is_revised_into_a_new_version(sales, account, contact):
    quote = services.quote_decline(quote=_sent(sales, account, contact), name="Kim", note="Too expensive")
    revision = services.quote_revise(actor=sales, quote=quote)
    quote.refresh_from_db()
    assert (quote.status, quote.response_note, revision.version, revision.status) == (
        "revised",
        "Too expensive",
        2,
        "draft",
    )


def test_the_order_follows_what_finance_and_logistics_report(sales, account, monkeypatch):
    from integration.bus import publish
    from integration.bus import services as bus
    from integration.bus.models import Delivery

    monkeypatch.setattr(bus, "_request_relay", lambda: None)
    monkeypatch.setattr(bus, "enqueue_deliveries", lambda ids, countdown=0: None)

    def report(name, **payload):
        publish(name, {"organization_id": account.organization_id, **payload}, aggregate=order)
        bus.relay_pending()
        for delivery_id in Delivery.objects.filter(status="pending").values_list("pk", flat=True):
            bus.deliver(delivery_id)
        order.refresh_from_db()
        return order.get_invoice_status_display(), order.get_delivery_status_display()

    order = services.order_confirm(actor=sales, order=_order(sales, account))
    shipment = {"shipment_id": 1, "order_id": order.pk}
    assert report("logistics.shipment_dispatched", **shipment, completes_order=False) == (
        "Not yet invoiced",
        "Partly delivered",
    )
    assert report("logistics.shipment_delivered", **shipment) == ("Not yet invoiced", "Delivered")
    assert report("logistics.shipment_dispatched", **shipment) == ("Not yet invoiced", "Delivered")  # late: ignored
    invoice = {
        "invoice_id": 7,
        "invoice_number": "F-2026-1",
        "currency": "SEK",
        "total": "62.50",
        "due_date": "2026-12-27",
    }
    assert report("finance.invoice_issued", **invoice, order_id=order.pk) == ("Invoiced", "Delivered")
    payment = {"payment_id": 3, "amount": "62.50", "currency": "SEK", "invoice_id": 7, "order_id": order.pk}
    assert report("finance.payment_received", **payment, invoice_settled=False) == ("Invoiced", "Delivered")
    assert report("finance.payment_received", **{**payment, "payment_id": 4}, invoice_settled=True) == (
        "Paid",
        "Delivered",
    )
    assert report("finance.invoice_issued", **invoice, order_id=None) == ("Paid", "Delivered")
    titles = set(TimelineEntry.objects.filter(organization=account.organization).values_list("title", flat=True))
    assert {
        "Delivered: goods",
        "Invoice F-2026-1 issued: 62.50 SEK, due 2026-12-27",
        "Payment received: 62.50 SEK",
    } <= titles


def test_the_plain_statement_reads_are_the_orms_answers(sales, account, django_assert_num_queries):
    """credit_hold_for and customer_open_orders_brief (a ticket page's side card) answer as the ORM would."""
    assert selectors.credit_hold_for(organization_id=account.organization_id) is None
    now = timezone.now()
    services.credit_hold_apply(organization_id=account.organization_id, on_hold=True, reason="Förfallet", as_of=now)
    with django_assert_num_queries(1):
        hold = selectors.credit_hold_for(organization_id=account.organization_id)
    stored = CreditHold.objects.get(organization_id=account.organization_id)
    assert (hold.pk, hold.on_hold, hold.reason, hold.as_of, hold.event_id) == (
        stored.pk,
        stored.on_hold,
        stored.reason,
        stored.as_of,
        stored.event_id,
    )
    orders = [_order(sales, account) for _ in range(7)]
    SalesOrder.objects.filter(pk=orders[0].pk).update(status=SalesOrder.Status.CANCELLED, cancelled_at=now)
    SalesOrder.objects.filter(pk=orders[1].pk).update(
        delivery_status=SalesOrder.DeliveryStatus.DELIVERED, invoice_status=SalesOrder.InvoiceStatus.PAID
    )
    SalesOrder.objects.filter(pk=orders[2].pk).update(delivery_status=SalesOrder.DeliveryStatus.DELIVERED)
    with django_assert_num_queries(1):
        brief = selectors.customer_open_orders_brief(organization_id=account.organization_id)
    full = selectors.customer_open_orders(organization_id=account.organization_id)
    assert [order.pk for order in brief] == [order.pk for order in full] and len(brief) == 5
    for short, whole in zip(brief, full, strict=True):
        assert (short.number, short.get_absolute_url(), short.get_delivery_status_display()) == (
            whole.number,
            whole.get_absolute_url(),
            whole.get_delivery_status_display(),
        )
        assert short.get_invoice_status_display() == whole.get_invoice_status_display()
    with django_assert_num_queries(1):  # a field it did not read is read when touched
        assert brief[0].total == full[0].total
