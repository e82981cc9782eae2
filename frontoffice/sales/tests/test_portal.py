"""The customer portal's sales pages: answering a quote from its link, the customer's quotes and orders."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.accounts.tests.factories import UserFactory
from core.parties.models import Person
from core.parties.tests.factories import OrganizationFactory, PersonFactory
from frontoffice.crm import services as crm
from frontoffice.sales import services
from frontoffice.sales.models import Quote, SalesOrder

pytestmark = pytest.mark.django_db

LINES = [
    {"description": "Consulting", "quantity": Decimal("3"), "unit_price": Decimal("850.00"), "tax_rate": 25},
    {"description": "Books", "quantity": Decimal("1.5"), "unit_price": Decimal("199.90"), "tax_rate": 6},
]


@pytest.fixture
def sales(make_staff):
    return make_staff("Sales", full_name="Sara Säljare")


@pytest.fixture
def person(customer_user):
    return Person.objects.select_related("organization").get(user=customer_user)


@pytest.fixture
def account(sales, person):
    return crm.account_open(actor=sales, organization=person.organization, owner=sales)


@pytest.fixture
def other_account(sales):
    """Another customer, with its own quotes and orders."""
    return crm.account_open(actor=sales, organization=OrganizationFactory(name="Annan AB"))


@pytest.fixture
def other_customer(other_account):
    """A portal login at the other customer."""
    user = UserFactory()
    PersonFactory(user=user, email=user.email, organization=other_account.organization)
    return user


def _sent(sales, account, person, **values) -> Quote:
    quote = services.quote_create(actor=sales, account=account, contact=person, lines=LINES, **values)
    return services.quote_send(actor=sales, quote=quote)


def _confirmed_order(sales, account) -> SalesOrder:
    order = services.order_create(
        actor=sales,
        account=account,
        customer_reference="PO-77",
        lines=[{"description": "Widget", "quantity": 4, "unit_price": Decimal("12.50"), "tax_rate": 25}],
    )
    return services.order_confirm(actor=sales, order=order)


def _url(quote: Quote, name: str = "portal-quote") -> str:
    return reverse(name, args=[services.quote_link_token(quote)])


# --- the quote's page ------------------------------------------------------------------


def test_the_link_shows_the_whole_quote_and_both_answers_to_a_visitor(client, sales, account, person):
    quote = _sent(sales, account, person, notes="Delivery within two weeks.")
    response = client.get(_url(quote))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    page = response.content.decode()
    for text in (
        f"Quote {quote.reference}",
        "Consulting",
        "1.5",
        "Delivery within two weeks.",
        "Sara Säljare",
        "Accept the quote",
        "Decline the quote",
        'name="accept-name"',
    ):
        assert text in page, text
    assert (response.context["quote"].subtotal, response.context["quote"].total) == (
        Decimal("2849.85"),
        Decimal("3505.34"),
    )
    assert response.context["tax_rows"] == [
        ("25", Decimal("2550.00"), Decimal("637.50")),
        ("6", Decimal("299.85"), Decimal("17.99")),
    ]


def test_a_visitor_accepts_with_their_name_and_sees_the_thank_you(client, sales, account, person):
    quote = _sent(sales, account, person)
    url = _url(quote)
    response = client.post(url, {"action": "accept", "accept-name": "Kim Ek", "accept-note": "Go ahead"})
    assert response.status_code == 302 and response["Location"] == url
    quote.refresh_from_db()
    assert (quote.status, quote.responded_by, quote.responded_by_name, quote.response_note) == (
        "accepted",
        None,
        "Kim Ek",
        "Go ahead",
    )
    assert SalesOrder.objects.get(quote=quote).status == "draft"
    page = client.get(url).content.decode()
    assert "Thank you! We have your acceptance" in page and "Accepted by Kim Ek" in page
    assert "Accept the quote" not in page


def test_a_visitor_must_give_their_name(client, sales, account, person):
    quote = _sent(sales, account, person)
    response = client.post(_url(quote), {"action": "accept", "accept-name": "  ", "accept-note": "Yes"})
    assert response.status_code == 200
    assert response.context["accept_form"].errors["name"] == ["This field is required."]
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_a_signed_in_customer_is_recorded_as_who_accepted(client_for, customer_user, sales, account, person):
    quote = _sent(sales, account, person)
    client = client_for(customer_user)
    page = client.get(_url(quote)).content.decode()
    assert "Accept the quote" in page and 'name="accept-name"' not in page
    response = client.post(_url(quote), {"action": "accept", "accept-note": ""})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.status, quote.responded_by) == ("accepted", customer_user)
    assert quote.responded_by_name == customer_user.full_name


def test_a_visitor_declines_with_a_reason(client, sales, account, person):
    quote = _sent(sales, account, person)
    response = client.post(
        _url(quote), {"action": "decline", "decline-name": "Kim Ek", "decline-note": "Too expensive"}, follow=True
    )
    quote.refresh_from_db()
    assert (quote.status, quote.responded_by_name, quote.response_note) == ("declined", "Kim Ek", "Too expensive")
    assert not SalesOrder.objects.filter(quote=quote).exists()
    page = response.content.decode()
    assert "Thank you for letting us know." in page and "Declined by Kim Ek" in page


def test_an_answer_to_an_answered_quote_shows_why_it_was_refused(client, sales, account, person):
    quote = _sent(sales, account, person)
    services.quote_decline(quote=quote, name="Colleague")
    response = client.post(_url(quote), {"action": "accept", "accept-name": "Kim Ek"})
    assert response.status_code == 200
    assert response.context["error"] == "This quote is declined and can no longer be answered."
    assert "Declined by Colleague" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == "declined"


def test_a_revised_quote_points_to_its_newer_version(client, sales, account, person):
    quote = _sent(sales, account, person)
    revision = services.quote_revise(actor=sales, quote=quote)
    response = client.get(_url(quote))
    assert "This quote was replaced by a newer version" in response.content.decode()
    assert response.context["newer_version_url"] == "" and not response.context["can_answer"]
    services.quote_send(actor=sales, quote=revision)
    response = client.get(_url(quote))
    # A link to the revision (its token carries the time it was made, so compare what it opens).
    newer = response.context["newer_version_url"]
    assert newer.startswith("/portal/quotes/")
    assert services.quote_from_token(newer.rstrip("/").rsplit("/", 1)[-1]) == revision
    response = client.post(_url(quote), {"action": "accept", "accept-name": "Kim Ek"})
    assert "newer version" in response.context["error"]


def test_a_quote_past_its_validity_cannot_be_answered(client, sales, account, person):
    quote = _sent(sales, account, person)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    response = client.get(_url(quote))
    assert response.context["state"] == "expired" and not response.context["can_answer"]
    assert "can no longer be answered" in response.content.decode()


def test_a_forged_link_gets_a_friendly_404(client, sales, account, person):
    quote = _sent(sales, account, person)
    token = services.quote_link_token(quote)
    for bad in (token[:-2] + "xx", "garbage"):
        response = client.get(reverse("portal-quote", args=[bad]))
        assert response.status_code == 404
        assert "This link is not valid." in response.content.decode()
    response = client.post(reverse("portal-quote", args=["garbage"]), {"action": "accept", "accept-name": "X"})
    assert response.status_code == 404
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_an_expired_link_gets_a_friendly_404(client, sales, account, person, settings):
    quote = _sent(sales, account, person)
    settings.QUOTE_LINK_MAX_AGE = -1
    for name in ("portal-quote", "portal-quote-pdf"):
        response = client.get(_url(quote, name))
        assert response.status_code == 404
        assert "This link has expired." in response.content.decode()


def test_a_withdrawn_or_draft_quote_is_not_shown(client, sales, account, person):
    quote = _sent(sales, account, person)
    services.quote_cancel(actor=sales, quote=quote)
    response = client.get(_url(quote))
    assert response.status_code == 404 and "withdrawn" in response.content.decode()
    draft = services.quote_create(actor=sales, account=account, lines=LINES)
    assert client.get(_url(draft)).status_code == 404


def test_a_customer_of_another_organization_gets_404(client_for, other_customer, sales, account, person):
    quote = _sent(sales, account, person)
    client = client_for(other_customer)
    assert client.get(_url(quote)).status_code == 404
    assert client.get(_url(quote, "portal-quote-pdf")).status_code == 404
    assert client.post(_url(quote), {"action": "accept"}).status_code == 404
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_staff_may_view_but_not_answer(client_for, sales, account, person):
    quote = _sent(sales, account, person)
    client = client_for(sales)
    response = client.get(_url(quote))
    assert response.status_code == 200 and response.context["is_staff_viewer"]
    assert "Accept the quote" not in response.content.decode()
    response = client.post(_url(quote), {"action": "accept", "accept-note": ""})
    assert response.status_code == 403
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_the_pdf_is_served_inline_with_the_reference_as_name(client, sales, account, person):
    quote = _sent(sales, account, person)
    response = client.get(_url(quote, "portal-quote-pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{quote.reference}.pdf"'
    assert response.content.startswith(b"%PDF")


# --- the customer's lists ------------------------------------------------------------


def test_quotes_list_shows_only_the_organizations_sent_quotes_with_their_links(
    client_for, customer_user, other_account, sales, account, person
):
    mine = _sent(sales, account, person)
    services.quote_create(actor=sales, account=account, lines=LINES)  # a draft: not the customer's business yet
    other = services.quote_create(actor=sales, account=other_account, lines=LINES)
    services.quote_send(actor=sales, quote=other, to="buyer@annan.example")
    response = client_for(customer_user).get(reverse("portal-quotes"))
    assert response.status_code == 200
    assert [quote.pk for quote in response.context["rows"]] == [mine.pk]
    page = response.content.decode()
    assert "Awaiting your answer" in page
    # The link's signature carries the second it was made: compare what it opens, not its text.
    tokens = re.findall(r'href="/portal/quotes/([^/"]+:[^/"]+)/"', page)
    assert [services.quote_from_token(token) for token in tokens] == [mine]


def test_quotes_list_has_an_empty_state_and_is_for_customers_only(client, client_for, customer_user, sales):
    response = client.get(reverse("portal-quotes"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(sales).get(reverse("portal-quotes")).status_code == 403
    response = client_for(customer_user).get(reverse("portal-quotes"))
    assert "No quotes yet" in response.content.decode()


def test_the_lists_take_the_same_number_of_queries_for_one_row_or_many(
    client_for, customer_user, sales, account, person
):
    client = client_for(customer_user)
    _sent(sales, account, person)
    _confirmed_order(sales, account)
    counts = {}
    for name in ("portal-quotes", "portal-orders"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        counts[name] = len(queries)
    for _ in range(3):
        _sent(sales, account, person)
        _confirmed_order(sales, account)
    for name in ("portal-quotes", "portal-orders"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name))
        assert len(response.context["rows"]) == 4
        assert len(queries) == counts[name], name


def test_orders_list_shows_only_the_organizations_confirmed_orders(
    client_for, customer_user, other_account, sales, account
):
    order = _confirmed_order(sales, account)
    services.order_create(actor=sales, account=account, lines=LINES)  # a draft stays in-house
    _confirmed_order(sales, other_account)
    response = client_for(customer_user).get(reverse("portal-orders"))
    assert [row.pk for row in response.context["rows"]] == [order.pk]
    page = response.content.decode()
    for text in (
        order.number,
        "Not yet invoiced",
        "Not yet delivered",
        "PO-77",
        reverse("portal-order", args=[order.pk]),
    ):
        assert text in page, text


def test_an_order_shows_its_lines_to_its_customer_only(client_for, customer_user, other_customer, sales, account):
    order = _confirmed_order(sales, account)
    response = client_for(customer_user).get(reverse("portal-order", args=[order.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Widget" in page and "Not yet delivered" in page
    assert response.context["order"].total == Decimal("62.50")
    assert client_for(other_customer).get(reverse("portal-order", args=[order.pk])).status_code == 404


def test_a_draft_order_is_not_shown_in_the_portal(client_for, customer_user, sales, account):
    draft = services.order_create(actor=sales, account=account, lines=LINES)
    assert client_for(customer_user).get(reverse("portal-order", args=[draft.pk])).status_code == 404


def test_the_portal_links_to_quotes_and_orders(client_for, customer_user, account):
    page = client_for(customer_user).get(reverse("portal-home")).content.decode()
    assert reverse("portal-quotes") in page and reverse("portal-orders") in page
