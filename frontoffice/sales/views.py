"""Staff pages of sales: leads and their conversion, opportunities through the pipeline."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.forms import apply_service_error, save_form_with_service
from core.lists import cleaned_filters, list_page
from frontoffice.crm import selectors as crm_selectors
from frontoffice.sales import selectors, services
from frontoffice.sales.forms import (
    LeadConvertForm,
    LeadFilterForm,
    LeadForm,
    LostForm,
    MoveForm,
    OpportunityFilterForm,
    OpportunityForm,
)
from frontoffice.sales.models import Lead, Opportunity


@staff_permission_required("sales.view_lead")
def lead_list(request: HttpRequest) -> HttpResponse:
    form = LeadFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.lead_list(
        search=filters.get("q") or "", status=filters.get("status") or "", ordering=filters.get("sort") or "-created_at"
    )
    return list_page(request, template="sales/lead_list.html", queryset=queryset, filter_form=form)


@staff_permission_required("sales.add_lead")
def lead_create(request: HttpRequest) -> HttpResponse:
    return save_form_with_service(
        request,
        form=LeadForm(request.POST or None, initial={"owner": request.user.pk}),
        save=lambda values: services.lead_create(actor=request.user, **values),
        template="sales/lead_form.html",
        context={},
        success_message=_("The lead %(name)s is saved."),
    )


@staff_permission_required("sales.change_lead")
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    return save_form_with_service(
        request,
        form=LeadForm(request.POST or None, instance=lead),
        save=lambda values: services.lead_update(actor=request.user, lead=lead, **values),
        template="sales/lead_form.html",
        context={"lead": lead},
    )


@staff_permission_required("sales.view_lead")
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead.objects.select_related("owner", "converted_account__organization"), pk=pk)
    form = LeadConvertForm(request.POST or None, initial={"opportunity_name": lead.company_name})
    if request.method == "POST":
        if not request.user.has_perms(["sales.change_lead", "sales.add_opportunity"]):
            raise PermissionDenied
        if form.is_valid():
            try:
                opportunity = services.lead_convert(
                    actor=request.user,
                    lead=lead,
                    account=form.cleaned_data["account"],
                    opportunity_name=form.cleaned_data["opportunity_name"],
                    amount=form.cleaned_data["amount"],
                )
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("The lead is converted. Here is its opportunity."))
                return redirect(opportunity)
    return render(
        request,
        "sales/lead_detail.html",
        {"lead": lead, "convert_form": form, "audit_entries": audit_entries_for(instance=lead)},
    )


@staff_permission_required("sales.view_opportunity")
def opportunity_list(request: HttpRequest) -> HttpResponse:
    form = OpportunityFilterForm(request.GET)
    filters = cleaned_filters(form)
    stage = filters.get("stage")
    queryset = selectors.opportunity_list(
        search=filters.get("q") or "",
        status=filters.get("status") or "",
        stage_id=stage.pk if stage else None,
        ordering=filters.get("sort") or "expected_close",
    )
    return list_page(request, template="sales/opportunity_list.html", queryset=queryset, filter_form=form)


@staff_permission_required("sales.view_opportunity")
def pipeline(request: HttpRequest) -> HttpResponse:
    """The kanban board: drag a card to another stage (or use its "Move to" menu, which works without a mouse)."""
    mine = request.GET.get("owner") == "me"
    return render(
        request,
        "sales/pipeline.html",
        {
            "columns": selectors.pipeline_board(owner_id=request.user.pk if mine else None),
            "stages": selectors.active_stages(),
            "mine": mine,
        },
    )


@staff_permission_required("sales.view_opportunity")
def forecast(request: HttpRequest) -> HttpResponse:
    """Weighted pipeline per month and owner: what sales expects to close."""
    data = selectors.forecast(months=6)
    chart = {
        "labels": [month.strftime("%Y-%m") for month in data["months"]],
        "values": [str(value) for value in data["totals"]],
    }
    return render(request, "sales/forecast.html", {**data, "chart": chart})


@staff_permission_required("sales.add_opportunity")
def opportunity_create(request: HttpRequest) -> HttpResponse:
    initial = {"owner": request.user.pk, "currency": "SEK", "stage": selectors.active_stages().first()}
    return save_form_with_service(
        request,
        form=OpportunityForm(request.POST or None, initial=initial),
        save=lambda values: services.opportunity_create(actor=request.user, **values),
        template="sales/opportunity_form.html",
        context={},
        success_message=_("The opportunity %(name)s is open."),
    )


@staff_permission_required("sales.view_opportunity")
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_object_or_404(
        Opportunity.objects.select_related("account__organization", "stage", "owner", "contact", "currency", "lead"),
        pk=pk,
    )
    return render(
        request,
        "sales/opportunity_detail.html",
        {
            "opportunity": opportunity,
            "move_form": MoveForm(initial={"stage": opportunity.stage_id}),
            "lost_form": LostForm(),
            "audit_entries": audit_entries_for(instance=opportunity),
        },
    )


@staff_permission_required("sales.change_opportunity")
@require_POST
def opportunity_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Move to a stage, mark won, or mark lost (with a reason)."""
    opportunity = get_object_or_404(Opportunity, pk=pk)
    try:
        if action == "move":
            form = MoveForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose a stage."))
            opportunity = services.opportunity_move(
                actor=request.user, opportunity=opportunity, stage=form.cleaned_data["stage"]
            )
            if request.htmx:  # a card dropped on the board: it is already where the user put it
                return HttpResponse(status=204)
            messages.success(request, _("Moved to %(stage)s.") % {"stage": form.cleaned_data["stage"]})
        elif action == "won":
            services.opportunity_mark_won(actor=request.user, opportunity=opportunity)
            messages.success(request, _("Won. Well done!"))
        else:
            services.opportunity_mark_lost(
                actor=request.user, opportunity=opportunity, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Marked as lost."))
    except ValidationError as error:
        if request.htmx:
            return HttpResponse(" ".join(error.messages), status=400)
        for message in error.messages:
            messages.error(request, message)
    return redirect(request.POST.get("next") or opportunity.get_absolute_url())


@staff_permission_required("crm.view_account")
def account_lookup(request: HttpRequest) -> HttpResponse:
    """The best ten accounts for an autocomplete box."""
    query = request.GET.get("q", "").strip()[:100]
    accounts = list(crm_selectors.account_list(search=query)[:10]) if query else []
    return render(request, "sales/_account_options.html", {"accounts": accounts, "query": query})
