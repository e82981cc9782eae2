"""Demo sales: leads from several sources, hundreds of opportunities across the stages, quotes and orders."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.catalog.models import Product
from frontoffice.sales import services
from frontoffice.sales.models import Lead, Opportunity, PipelineStage

COMPANIES = [
    "Fjärran", "Kustlinjen", "Norrsken", "Älvdalen", "Ekbacken", "Granit", "Solviken", "Havsbris", "Tallmon",
    "Björkhaga", "Stenbrottet", "Vindkraft", "Lärkan", "Sjöbotten", "Fjällbo", "Ängsmark", "Klippan", "Skogsrå",
    "Mälarvik", "Gränsland", "Ljungby", "Nordpil", "Västanvind", "Österled",
]  # fmt: skip
SUFFIXES = [
    "Bygg AB",
    "Handel AB",
    "Konsult AB",
    "Logistik AB",
    "Design AB",
    "Mat AB",
    "Teknik AB",
    "Energi AB",
    "Media AB",
    "Vård AB",
]
LEADS = 240


def seed(admin) -> str:
    if Lead.objects.exists():
        return "pipeline already there"
    rng = random.Random(7)
    sales = get_user_model().objects.filter(email="sales@kontor.example").first() or admin
    stages = list(PipelineStage.objects.filter(is_active=True))
    today = timezone.localdate()
    converted = 0
    for index in range(LEADS):
        name = f"{COMPANIES[index % len(COMPANIES)]} {SUFFIXES[(index // len(COMPANIES)) % len(SUFFIXES)]}"
        lead = services.lead_create(
            actor=admin,
            company_name=name,
            first_name=rng.choice(["Ida", "Per", "Sara", "Nils", "Elin", "Omar"]),
            last_name=rng.choice(["Berg", "Lund", "Holm", "Sand", "Strand"]),
            email=f"kontakt{index}@{name.split()[0].lower()}.example",
            source=rng.choice([choice for choice, _label in Lead.Source.choices]),
            campaign="Vårkampanj 2027" if index % 4 == 0 else "",
            owner=sales,
        )
        if index % 6 == 5:
            continue  # some stay leads
        opportunity = services.lead_convert(actor=admin, lead=lead, amount=Decimal(rng.randrange(20, 800) * 1000))
        opportunity.expected_close = today + timedelta(days=rng.randrange(-20, 120))
        opportunity.save(update_fields=["expected_close"])
        services.opportunity_move(actor=admin, opportunity=opportunity, stage=stages[index % len(stages)])
        if index % 9 == 0:
            services.opportunity_mark_won(actor=admin, opportunity=opportunity)
        elif index % 11 == 0:
            services.opportunity_mark_lost(actor=admin, opportunity=opportunity, reason="Chose a competitor")
        converted += 1
    quotes, orders = _quotes_and_orders(admin, sales, rng)
    return f"{LEADS} leads, {converted} converted into opportunities, {quotes} quotes, {orders} orders"


def _quotes_and_orders(admin, sales, rng: random.Random) -> tuple[int, int]:
    """Quotes for the deals in the later stages: drafts, sent, accepted (their orders confirmed), declined."""
    products = list(Product.objects.filter(is_active=True).select_related("tax_rate"))
    if not products:
        return 0, 0
    later = Opportunity.objects.filter(stage__position__gte=3).select_related("account", "contact")
    won = Opportunity.objects.filter(status=Opportunity.Status.WON).select_related("account", "contact")
    quotes = orders = 0
    for index, opportunity in enumerate([*later.order_by("pk")[:70], *won.order_by("pk")]):
        lines = [
            {
                "product": product,
                "quantity": Decimal(rng.randrange(1, 20)),
                "discount_percent": Decimal(rng.choice([0, 0, 5, 10])),
            }
            for product in rng.sample(products, k=min(len(products), rng.randrange(1, 4)))
        ]
        quote = services.quote_create(
            actor=sales, account=opportunity.account, contact=opportunity.contact, opportunity=opportunity, lines=lines
        )
        quotes += 1
        if index % 5 == 0 and opportunity.status == Opportunity.Status.OPEN:
            continue  # still a draft
        if not opportunity.contact or not opportunity.contact.email:
            continue
        quote = services.quote_send(actor=sales, quote=quote)
        if opportunity.status == Opportunity.Status.WON or index % 4 == 1:
            order = services.quote_accept(quote=quote, name=str(opportunity.contact), note="")
            if index % 3:
                services.order_confirm(actor=sales, order=order)
            orders += 1
        elif index % 7 == 3:
            quote = services.quote_decline(quote=quote, name=str(opportunity.contact), note="Over our budget")
            if index % 2:
                services.quote_revise(actor=sales, quote=quote)
                quotes += 1
    return quotes, orders
