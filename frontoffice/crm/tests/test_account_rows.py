"""The account list's rows, rendered in Python (crm/templatetags/account_rows.py): the template's markup."""

from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from core.parties.tests.factories import OrganizationFactory
from frontoffice.crm import services as crm

pytestmark = pytest.mark.django_db

ACCOUNTS = "/app/crm/accounts/"

# The rows as the template rendered them before they moved to Python.
TEMPLATE_ROWS = "{% load kontor %}" + (Path(__file__).parent / "account_rows_template.html").read_text()


def _without_blank_lines(html: str) -> str:
    return "\n".join(line for line in html.splitlines() if line.strip())


@pytest.mark.parametrize("language", ["en", "sv"])
def test_account_rows_are_the_templates_markup(client, make_staff, language):
    sales = make_staff("Sales")
    crm.account_open(
        actor=sales,
        organization=OrganizationFactory(name="Kund & <Co>"),
        owner=sales,
        segment="enterprise",
        industry="Mat & dryck",
        lifecycle_stage="customer",
        tags=["vip", "<b>"],
    )
    crm.account_open(actor=sales, organization=OrganizationFactory(name="Ingen ägare"), lifecycle_stage="former")
    crm.account_open(actor=sales, organization=OrganizationFactory(name="Ny kund"))
    client.force_login(sales)
    with translation.override("en"):
        if language == "sv":
            client.post("/i18n/setlang/", {"language": "sv", "next": "/app/"})
        response = client.get(ACCOUNTS)
        html = response.content.decode()
        with translation.override(language):
            expected = Template(TEMPLATE_ROWS).render(Context({"rows": response.context["rows"]}))
    assert len(response.context["rows"]) == 3
    assert _without_blank_lines(expected) in _without_blank_lines(html)
    assert "Kund &amp; &lt;Co&gt;" in html and '<span class="badge badge-role">&lt;b&gt;</span>' in html
