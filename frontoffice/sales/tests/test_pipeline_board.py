"""The pipeline board: its cards, their move menus, and a fixed number of queries however many cards."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core.catalog.models import Currency
from core.parties.tests.factories import OrganizationFactory
from frontoffice.crm import services as crm
from frontoffice.sales import selectors, services
from frontoffice.sales.models import PipelineStage

pytestmark = pytest.mark.django_db

BOARD = "/app/sales/pipeline/"


@pytest.fixture
def sales(make_staff):
    return make_staff("Sales")


@pytest.fixture
def account(sales):
    return crm.account_open(actor=sales, organization=OrganizationFactory(name="Kund & Co <AB>"), owner=sales)


def _deal(sales, account, name: str, amount: str = "1000", **values):
    return services.opportunity_create(
        actor=sales,
        account=account,
        name=name,
        amount=Decimal(amount),
        currency=Currency.objects.get(code="SEK"),
        stage=PipelineStage.objects.get(name="Qualification"),
        owner=sales,
        **values,
    )


def test_the_board_queries_do_not_grow_with_its_cards(client, sales, account):
    _deal(sales, account, "Första")
    client.force_login(sales)
    client.get(BOARD)
    with CaptureQueriesContext(connection) as few:
        assert client.get(BOARD).status_code == 200
    for number in range(40):
        _deal(sales, account, f"Affär {number}")
    with CaptureQueriesContext(connection) as many:
        html = client.get(BOARD).content.decode()
    assert len(many) == len(few) <= 8
    assert html.count('class="kanban-card card mb-2"') == 41


def test_a_card_shows_the_deal_and_a_move_menu(client, sales, account):
    proposal = PipelineStage.objects.get(name="Proposal")
    deal = _deal(sales, account, "Stor <affär>", "1234567.5", expected_close=date(2027, 3, 1), probability=40)
    services.opportunity_move(actor=sales, opportunity=deal, stage=proposal)
    client.force_login(sales)
    html = client.get(BOARD, {"owner": "me"}).content.decode()
    card = re.search(rf'<li class="kanban-card[^>]*id="opportunity-{deal.pk}">.*?</li>', html, re.S).group(0)
    assert 'draggable="true"' in card
    assert f'data-move-url="/app/sales/opportunities/{deal.pk}/move/"' in card
    assert f'href="/app/sales/opportunities/{deal.pk}/">Stor &lt;affär&gt;</a>' in card
    assert "Kund &amp; Co &lt;AB&gt;" in card
    assert "SEK\xa01,234,567.50" in card and "2027-03-01" in card
    # No form per card: a "Move" that opens the board's one menu, and leads to the deal's move form without JS.
    assert "<form" not in card and "<select" not in card and "csrfmiddlewaretoken" not in card
    assert (
        f'<a class="btn btn-sm btn-outline-secondary mt-1 kanban-move" href="/app/sales/opportunities/{deal.pk}/#move" '
        'data-move-menu>Move<span class="visually-hidden"> Stor &lt;affär&gt;</span></a>'
    ) in card
    menu = re.search(r'<div class="kanban-move-menu[^>]*>.*?</form>\s*</div>', html, re.S).group(0)
    assert html.count('id="kanban-move-menu"') == 1
    assert 'role="dialog" aria-labelledby="kanban-move-title" hidden' in menu
    assert 'data-title="Move __name__ to"' in menu and 'id="kanban-move-title"' in menu
    assert 'name="csrfmiddlewaretoken" value="' in menu
    assert '<input type="hidden" name="next" value="/app/sales/pipeline/?owner=me">' in menu
    assert f'type="submit" name="stage" value="{proposal.pk}">Proposal</button>' in menu
    assert menu.count('name="stage"') == PipelineStage.objects.filter(is_active=True).count()
    assert ">Cancel</button>" in menu
    # The column's weighted total uses the deal's own probability: 40 % of 1,234,567.50.
    column = next(column for column in selectors.pipeline_board() if column["stage"] == proposal)
    assert (column["total"], column["weighted"]) == (Decimal("1234567.50"), Decimal("493827.00"))


def test_the_move_menu_posts_to_the_move_page(client, sales, account):
    deal = _deal(sales, account, "Flyttas")
    negotiation = PipelineStage.objects.get(name="Negotiation")
    client.force_login(sales)
    html = client.get(BOARD).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    client.handler.enforce_csrf_checks = True
    response = client.post(
        reverse("sales:opportunity-move", args=[deal.pk]),
        {"csrfmiddlewaretoken": token, "stage": negotiation.pk, "next": BOARD},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == negotiation


def test_readers_see_cards_without_move_menus(client, sales, account, make_staff):
    _deal(sales, account, "Bara titta")
    client.force_login(make_staff("Management"))
    html = client.get(BOARD).content.decode()
    assert "Bara titta" in html and 'draggable="false"' in html
    assert "kanban-move" not in html and "data-move-menu" not in html
    assert "csrfmiddlewaretoken" not in html.split('<div class="kanban"')[1]


def test_the_board_in_swedish(client, sales, account):
    _deal(sales, account, "Svensk", "2500", expected_close=date(2027, 1, 5))
    client.force_login(sales)
    with translation.override("en"):  # the Swedish requests leave Swedish active in this thread
        client.post("/i18n/setlang/", {"language": "sv", "next": "/app/"})
        html = client.get(BOARD).content.decode()
    assert "2\xa0500,00\xa0kr" in html and 'data-title="Flytta __name__ till"' in html and ">Flytta<span" in html
    assert "Inga affärer i den här fasen." in html


def test_without_javascript_move_leads_to_the_deals_move_form(client, sales, account):
    deal = _deal(sales, account, "Utan skript")
    client.force_login(sales)
    html = client.get(deal.get_absolute_url()).content.decode()
    form = re.search(r'<form[^>]*id="move"[^>]*>', html).group(0)
    assert f'action="/app/sales/opportunities/{deal.pk}/move/"' in form
