"""Demo data of the CRM: accounts for the demo customers, consent for some contacts, and a week of activities."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.parties.models import Organization
from frontoffice.crm import services
from frontoffice.crm.models import Account, Activity

SEGMENTS = [choice for choice, _label in Account.Segment.choices]
INDUSTRIES = ["Outdoor retail", "Food wholesale", "Construction", "IT services", "Energy", "Media", "Logistics"]


def seed(admin) -> str:
    """Idempotent: organizations that already have an account are left as they are."""
    sales = get_user_model().objects.filter(email="sales@kontor.example").first() or admin
    now = timezone.now()
    opened = 0
    organizations = Organization.objects.filter(roles__overlap=["customer", "prospect"], crm_account__isnull=True)
    for index, organization in enumerate(organizations.order_by("pk")):
        stage = Account.Stage.CUSTOMER if "customer" in organization.roles else Account.Stage.PROSPECT
        account = services.account_open(
            actor=admin,
            organization=organization,
            owner=sales,
            lifecycle_stage=stage,
            segment=SEGMENTS[index % len(SEGMENTS)],
            industry=INDUSTRIES[index % len(INDUSTRIES)],
            tags=["demo"] + (["key-account"] if index % 5 == 0 else []),
        )
        contact = organization.people.order_by("pk").first()
        if contact is not None and index % 2 == 0:
            services.contact_profile_update(
                actor=admin,
                person=contact,
                role="Decision maker",
                email_consent=True,
                phone_consent=False,
                source="form",
            )
        services.activity_create(
            actor=admin,
            kind=Activity.Kind.TASK,
            subject=f"Follow up with {organization.name}",
            account=account,
            contact=contact,
            assignee=sales,
            due_at=now + timedelta(days=(index % 7) - 2, hours=index % 5),
        )
        opened += 1
    return f"{opened} accounts opened" if opened else "accounts already there"
