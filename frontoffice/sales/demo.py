"""Demo pipeline: leads from several sources, most converted into opportunities across the stages."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from frontoffice.sales import services
from frontoffice.sales.models import Lead, PipelineStage

COMPANIES = ["Fjärran", "Kustlinjen", "Norrsken", "Älvdalen", "Ekbacken", "Granit", "Solviken", "Havsbris", "Tallmon"]
SUFFIXES = ["Bygg AB", "Handel AB", "Konsult AB", "Logistik AB", "Design AB", "Mat AB"]


def seed(admin) -> str:
    if Lead.objects.exists():
        return "pipeline already there"
    rng = random.Random(7)
    sales = get_user_model().objects.filter(email="sales@kontor.example").first() or admin
    stages = list(PipelineStage.objects.filter(is_active=True))
    today = timezone.localdate()
    converted = 0
    for index in range(36):
        name = f"{COMPANIES[index % len(COMPANIES)]} {SUFFIXES[index % len(SUFFIXES)]}"
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
    return f"36 leads, {converted} converted into opportunities"
