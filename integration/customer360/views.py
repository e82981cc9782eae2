"""The one-page customer view: who they are, and everything that happened, across departments."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from core.accounts.decorators import staff_permission_required
from core.lists import ListPaginator
from core.parties.models import Organization
from integration.customer360 import selectors
from integration.customer360.models import TimelineEntry


@staff_permission_required("parties.view_organization")
def customer_view(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=pk)
    office = request.GET.get("office", "")
    office = office if office in TimelineEntry.Office.values else ""
    kinds = selectors.timeline_kinds(organization=organization)
    kind = request.GET.get("kind", "")
    kind = kind if kind in kinds else ""
    timeline = selectors.timeline_for(user=request.user, organization=organization, office=office, kind=kind)
    # A big customer has tens of thousands of entries: counted exactly up to a thousand, then estimated.
    page = ListPaginator(timeline, 25).get_page(request.GET.get("page"))
    context = {
        **selectors.customer_header(user=request.user, organization=organization),
        "page": page,
        "office": office,
        "kind": kind,
        "kinds": kinds,
        "offices": TimelineEntry.Office.choices,
    }
    template = "customer360/customer.html#timeline" if request.htmx else "customer360/customer.html"
    return render(request, template, context)
