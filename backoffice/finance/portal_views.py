"""The customer portal's invoices: the organization's issued invoices and credit notes, each as its PDF."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from backoffice.finance import selectors
from backoffice.finance.models import Invoice
from backoffice.finance.views import pdf_response
from core.accounts.decorators import customer_required
from core.parties.selectors import person_for_portal_user

PER_PAGE = 20


def _invoices(request: HttpRequest) -> QuerySet[Invoice]:
    """What the signed-in customer's organization was invoiced and credited; nothing for a login without one."""
    person = person_for_portal_user(user=request.user)
    if person is None or not person.organization_id:
        return Invoice.objects.none()
    return selectors.portal_invoices(organization_id=person.organization_id)


@customer_required
@require_safe
def invoice_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(_invoices(request), PER_PAGE).get_page(request.GET.get("page"))
    template = "finance/portal/invoice_list.html"
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template += "#results"
    return render(request, template, {"page": page, "rows": list(page.object_list)})


@customer_required
@require_safe
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the organization's invoices as a PDF; another organization's does not exist here."""
    return pdf_response(get_object_or_404(_invoices(request).prefetch_related("lines"), pk=pk))
