"""The integration page: is the bus healthy, what flows through it, what failed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.accounts.decorators import staff_permission_required
from integration.bus import catalogue, registry, selectors, services
from integration.bus.models import Delivery


@staff_permission_required("bus.view_outboxevent")
def overview(request: HttpRequest) -> HttpResponse:
    """Live picture of the bus; the figures refresh themselves every few seconds (htmx)."""
    context = selectors.bus_overview()
    context["chart"] = {
        "labels": [localtime(point["minute"]).strftime("%H:%M") for point in context["events_per_minute"]],
        "values": [point["count"] for point in context["events_per_minute"]],
    }
    template = "bus/overview.html#live" if request.htmx else "bus/overview.html"
    return render(request, template, context)


@staff_permission_required("bus.view_delivery")
def dead_letter_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.dead_letters(), 25).get_page(request.GET.get("page"))
    return render(request, "bus/dead_letters.html", {"page": page, "rows": page.object_list})


@staff_permission_required("bus.view_delivery")
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.select_related("event", "resolved_by"), pk=pk)
    return render(request, "bus/delivery_detail.html", {"delivery": delivery})


@staff_permission_required("bus.change_delivery")
@require_POST
def delivery_resolve(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=pk)
    service = services.delivery_retry if action == "retry" else services.delivery_discard
    try:
        service(delivery=delivery, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if action == "retry":
            messages.success(request, _("The delivery is sent again."))
        else:
            messages.success(request, _("The dead letter was discarded; later events of its record can flow."))
    return redirect(request.POST.get("next") or "bus:dead-letters")


@staff_permission_required("bus.change_delivery")
@require_POST
def probe_send(request: HttpRequest) -> HttpResponse:
    services.probe_send(actor=request.user, note=request.POST.get("note", ""))
    messages.success(request, _("A test event was published. Its round trip appears below within seconds."))
    return redirect("bus:overview")


@staff_permission_required("bus.view_outboxevent")
def catalogue_page(request: HttpRequest) -> HttpResponse:
    """Every event the system knows, its payload and who listens: the same text as docs/events.md."""
    events = [
        {"spec": spec, "fields": spec.fields(), "subscribers": [s.name for s in registry.subscribers_for(spec.name)]}
        for spec in catalogue.all_events()
    ]
    return render(request, "bus/catalogue.html", {"events": events})
