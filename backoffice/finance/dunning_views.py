"""Staff pages of dunning and credit hold, under /app/finance/dunning/: the overdue invoices, the letters sent, the
customers on credit hold (hold and release by hand) and the policy. Finance acts; Management reads."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.finance import dunning
from backoffice.finance.dunning_forms import (
    CreditHoldForm,
    CreditReleaseForm,
    DunningPolicyForm,
    LetterFilterForm,
    OverdueFilterForm,
)
from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.forms import apply_service_error
from core.lists import FilterForm, cleaned_filters, list_page
from core.parties.models import Organization


@staff_permission_required("finance.view_dunningletter")
def dunning_overview(request: HttpRequest) -> HttpResponse:
    """The overdue invoices, oldest first, with the letter each has had; the button that runs dunning now."""
    today = timezone.localdate()
    form = OverdueFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = dunning.overdue_invoices(
        today=today, search=filters.get("q") or "", level=filters.get("level"), ordering=filters.get("sort") or ""
    )
    return list_page(
        request,
        template="finance/dunning/overview.html",
        queryset=queryset,
        filter_form=form,
        context={
            "tab": "overdue",
            "today": today,
            "policy": dunning.dunning_policy(),
            "totals": dunning.overdue_total(today=today),
        },
    )


@staff_permission_required("finance.add_dunningletter")
@require_POST
def dunning_run_now(request: HttpRequest) -> HttpResponse:
    """Queue today's run in the background (the same task beat runs every hour; running it twice sends nothing
    twice)."""
    from backoffice.finance.tasks import run_dunning

    actor_id = request.user.pk
    transaction.on_commit(lambda: run_dunning.delay(actor_id=actor_id))
    messages.success(
        request,
        _(
            "Dunning is running in the background: letters that are due go out and credit holds are reviewed. "
            "Reload the page in a minute to see them."
        ),
    )
    return redirect("finance:dunning")


@staff_permission_required("finance.view_dunningletter")
def dunning_letter_list(request: HttpRequest) -> HttpResponse:
    form = LetterFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = dunning.dunning_letters(search=filters.get("q") or "", level=filters.get("level"))
    return list_page(
        request,
        template="finance/dunning/letter_list.html",
        queryset=queryset,
        filter_form=form,
        context={"tab": "letters"},
    )


@staff_permission_required("finance.view_credithold")
def credit_hold_list(request: HttpRequest) -> HttpResponse:
    """The customers on credit hold; Finance puts another one on hold here (a reason is required)."""
    hold_form = CreditHoldForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("finance.change_credithold"):
            raise PermissionDenied
        if hold_form.is_valid():
            organization = hold_form.cleaned_data["organization"]
            try:
                dunning.credit_hold_set(
                    actor=request.user, organization=organization, on_hold=True, reason=hold_form.cleaned_data["reason"]
                )
            except ValidationError as error:
                apply_service_error(hold_form, error)
            else:
                messages.success(
                    request,
                    _("%(customer)s is on credit hold: sales cannot confirm new orders until you release it.")
                    % {"customer": organization.name},
                )
                return redirect("finance:dunning-holds")
    filter_form = FilterForm(request.GET)
    filters = cleaned_filters(filter_form)
    return list_page(
        request,
        template="finance/dunning/hold_list.html",
        queryset=dunning.credit_holds_on(search=filters.get("q") or ""),
        filter_form=filter_form,
        context={"tab": "holds", "hold_form": hold_form, "release_form": CreditReleaseForm()},
    )


@staff_permission_required("finance.change_credithold")
@require_POST
def credit_hold_release(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=organization_id)
    form = CreditReleaseForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(
                    request, _("Release %(customer)s: %(error)s") % {"customer": organization, "error": text}
                )
        return redirect("finance:dunning-holds")
    try:
        dunning.credit_hold_set(
            actor=request.user, organization=organization, on_hold=False, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("%(customer)s is released from credit hold.") % {"customer": organization.name})
    return redirect("finance:dunning-holds")


@staff_permission_required("finance.view_dunningpolicy")
def dunning_policy_edit(request: HttpRequest) -> HttpResponse:
    """The policy: Management reads it, Finance changes it; the service's objections come back on the fields."""
    policy = dunning.dunning_policy()
    form = DunningPolicyForm(
        request.POST or None, initial={name: getattr(policy, name) for name in dunning.POLICY_FIELDS}
    )
    if request.method == "POST":
        if not request.user.has_perm("finance.change_dunningpolicy"):
            raise PermissionDenied
        if form.is_valid():
            try:
                dunning.dunning_policy_update(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("The dunning policy is saved."))
                return redirect("finance:dunning-policy")
    return render(
        request,
        "finance/dunning/policy.html",
        {"tab": "policy", "form": form, "policy": policy, "audit_entries": audit_entries_for(instance=policy)},
    )
