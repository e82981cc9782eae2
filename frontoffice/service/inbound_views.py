"""Staff page of inbound e-mail: what every received mail became, failures first in sight, and trying again."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.accounts.decorators import staff_permission_required
from core.exceptions import ServiceError
from core.lists import FilterForm, cleaned_filters, list_page
from frontoffice.service import inbound
from frontoffice.service.models import InboundMail


class InboundFilterForm(FilterForm):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=[("", gettext_lazy("All")), *InboundMail.Outcome.choices], required=False
    )


@staff_permission_required("service.view_inboundmail")
def inbound_list(request: HttpRequest) -> HttpResponse:
    form = InboundFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = inbound.inbound_mail_list(
        search=filters.get("q") or "", outcome=filters.get("outcome") or "", ordering=filters.get("sort") or ""
    )
    return list_page(
        request,
        template="service/inbound_list.html",
        queryset=queryset,
        filter_form=form,
        context={"failed_count": inbound.inbound_failed_count(), "outcomes": InboundMail.Outcome},
    )


@staff_permission_required("service.change_inboundmail")
@require_POST
def inbound_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Handle a failed mail again from its raw message (after the cause was fixed)."""
    mail = get_object_or_404(InboundMail.objects.defer("raw"), pk=pk)
    try:
        mail = inbound.inbound_retry(inbound=mail, actor=request.user)
    except ServiceError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if mail.outcome == InboundMail.Outcome.FAILED:
            messages.error(request, _("It failed again: %(detail)s") % {"detail": mail.detail})
        else:
            messages.success(
                request,
                _("Done: %(outcome)s. %(detail)s") % {"outcome": mail.get_outcome_display(), "detail": mail.detail},
            )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("service:inbound-list")
    return redirect(next_url)
