"""Staff pages of sales: leads and their conversion, opportunities through the pipeline."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.catalog import selectors as catalog_selectors
from core.forms import apply_service_error, save_form_with_service
from core.lists import cleaned_filters, list_page
from frontoffice.crm import selectors as crm_selectors
from frontoffice.sales import selectors, services
from frontoffice.sales.forms import (
    CancelOrderForm,
    CustomerChoiceForm,
    LeadConvertForm,
    LeadFilterForm,
    LeadForm,
    LineFormSet,
    LostForm,
    MoveForm,
    OpportunityFilterForm,
    OpportunityForm,
    OrderFilterForm,
    OrderForm,
    QuoteFilterForm,
    QuoteForm,
    SendQuoteForm,
    line_initial,
)
from frontoffice.sales.models import Lead, Opportunity, Quote, SalesOrder
from frontoffice.sales.pdf import quote_pdf as quote_pdf_bytes


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
            "quotes": list(selectors.quote_list(opportunity_id=opportunity.pk)[:20])
            if request.user.has_perm("sales.view_quote")
            else [],
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


# --- quotes and orders ---------------------------------------------------------------


def _quote_page(quote: Quote | None = None) -> dict:
    """What the shared editor (sales/document_form.html) says around a quote."""
    title = _("Edit quote %(reference)s") % {"reference": quote.reference} if quote else _("New quote")
    return {"title": title, "list_url": reverse("sales:quote-list"), "list_label": _("Quotes"), "document": quote}


def _order_page(order: SalesOrder | None = None) -> dict:
    title = _("Edit order %(number)s") % {"number": order.number} if order else _("New order")
    return {"title": title, "list_url": reverse("sales:order-list"), "list_label": _("Orders"), "document": order}


def _customer_or_chooser(request: HttpRequest, page: dict):
    """The account a new document is for (?account=), or the page that asks for it."""
    chooser = CustomerChoiceForm(request.GET or None)
    if request.GET.get("account") and chooser.is_valid():
        return chooser.cleaned_data["account"], None
    return None, render(request, "sales/document_form.html", {"chooser": chooser, **page})


def _document_editor(
    request: HttpRequest,
    *,
    form: forms.ModelForm,
    lines: LineFormSet,
    save,
    context: dict,
    success_message: str,
) -> HttpResponse:
    """The head form and the lines formset of a quote or order: valid input goes to the service, errors come back."""
    line_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            document = save(dict(form.cleaned_data), lines.lines())
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
            line_errors = errors.pop("lines", [])
            if errors:
                apply_service_error(form, ValidationError(errors))
        else:
            messages.success(request, success_message % {"name": document})
            return redirect(document)
    return render(
        request, "sales/document_form.html", {"form": form, "lines": lines, "line_errors": line_errors, **context}
    )


@staff_permission_required("sales.view_quote")
def quote_list(request: HttpRequest) -> HttpResponse:
    form = QuoteFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.quote_list(
        search=filters.get("q") or "", status=filters.get("status") or "", ordering=filters.get("sort") or ""
    )
    return list_page(request, template="sales/quote_list.html", queryset=queryset, filter_form=form)


@staff_permission_required("sales.add_quote")
def quote_create(request: HttpRequest) -> HttpResponse:
    account, chooser = _customer_or_chooser(request, _quote_page())
    if account is None:
        return chooser
    opportunity = selectors.account_opportunity(account_id=account.pk, pk=request.GET.get("opportunity"))
    initial = {
        "owner": request.user.pk,
        "currency": opportunity.currency_id if opportunity else "SEK",
        "opportunity": opportunity,
        "contact": opportunity.contact_id if opportunity else None,
        "valid_until": timezone.localdate() + timedelta(days=services.QUOTE_VALIDITY_DAYS),
    }
    return _document_editor(
        request,
        form=QuoteForm(request.POST or None, initial=initial, account=account),
        lines=LineFormSet(request.POST or None, prefix="lines"),
        save=lambda values, lines: services.quote_create(actor=request.user, account=account, lines=lines, **values),
        context={"account": account, **_quote_page()},
        success_message=_("Quote %(name)s is saved as a draft."),
    )


@staff_permission_required("sales.change_quote")
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_object_or_404(selectors.quote_list(), pk=pk)
    if not quote.is_editable:
        messages.error(request, _("A sent quote is not changed: revise it to make a new version."))
        return redirect(quote)
    return _document_editor(
        request,
        form=QuoteForm(request.POST or None, instance=quote, account=quote.account),
        lines=LineFormSet(request.POST or None, prefix="lines", initial=line_initial(quote.lines.all())),
        save=lambda values, lines: services.quote_update(actor=request.user, quote=quote, lines=lines, **values),
        context={"account": quote.account, **_quote_page(quote)},
        success_message=_("Quote %(name)s is saved."),
    )


@staff_permission_required("sales.view_quote")
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        quote = selectors.quote_detail(pk=pk)
    except Quote.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "sales/quote_detail.html",
        {
            "quote": quote,
            "tax_by_rate": selectors.document_tax_breakdown(quote),
            "versions": selectors.quote_versions(quote=quote),
            "order": selectors.order_for_quote(quote=quote),
            "send_form": SendQuoteForm(initial={"to": quote.contact.email if quote.contact else ""}),
            "portal_link": services.quote_link_token(quote) if quote.status == Quote.Status.SENT else "",
            "audit_entries": audit_entries_for(instance=quote),
        },
    )


@staff_permission_required("sales.view_quote")
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_object_or_404(Quote.objects.select_related("account__organization", "currency", "owner"), pk=pk)
    response = HttpResponse(quote_pdf_bytes(quote, language=request.LANGUAGE_CODE), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote.reference}.pdf"'
    return response


@staff_permission_required("sales.change_quote")
@require_POST
def quote_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Send, revise, withdraw, or turn an accepted quote into its order."""
    quote = get_object_or_404(Quote, pk=pk)
    target = quote
    try:
        if action == "send":
            form = SendQuoteForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.get("to") or _("Check the address."))
            services.quote_send(actor=request.user, quote=quote, **form.cleaned_data)
            messages.success(request, _("The quote is on its way to the customer."))
        elif action == "revise":
            target = services.quote_revise(actor=request.user, quote=quote)
            messages.success(
                request, _("Version %(version)s is a draft: change it, then send it.") % {"version": target.version}
            )
        elif action == "cancel":
            services.quote_cancel(actor=request.user, quote=quote)
            messages.success(request, _("The quote is withdrawn; its link no longer works."))
        else:
            if not request.user.has_perm("sales.add_salesorder"):
                raise PermissionDenied
            target = services.order_create_from_quote(actor=request.user, quote=quote)
            messages.success(request, _("Order %(number)s is drafted from the quote.") % {"number": target.number})
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(target)


@staff_permission_required("sales.view_salesorder")
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.order_list(
        search=filters.get("q") or "",
        status=filters.get("status") or "",
        invoice_status=filters.get("invoice_status") or "",
        delivery_status=filters.get("delivery_status") or "",
        ordering=filters.get("sort") or "",
    )
    return list_page(request, template="sales/order_list.html", queryset=queryset, filter_form=form)


@staff_permission_required("sales.add_salesorder")
def order_create(request: HttpRequest) -> HttpResponse:
    account, chooser = _customer_or_chooser(request, _order_page())
    if account is None:
        return chooser
    return _document_editor(
        request,
        form=OrderForm(request.POST or None, initial={"owner": request.user.pk, "currency": "SEK"}, account=account),
        lines=LineFormSet(request.POST or None, prefix="lines"),
        save=lambda values, lines: services.order_create(actor=request.user, account=account, lines=lines, **values),
        context={"account": account, **_order_page()},
        success_message=_("Order %(name)s is saved as a draft."),
    )


@staff_permission_required("sales.change_salesorder")
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.order_list(), pk=pk)
    if not order.is_editable:
        messages.error(request, _("A confirmed order is not changed here: cancel it and make a new one."))
        return redirect(order)
    return _document_editor(
        request,
        form=OrderForm(request.POST or None, instance=order, account=order.account),
        lines=LineFormSet(request.POST or None, prefix="lines", initial=line_initial(order.lines.all())),
        save=lambda values, lines: services.order_update(actor=request.user, order=order, lines=lines, **values),
        context={"account": order.account, **_order_page(order)},
        success_message=_("Order %(name)s is saved."),
    )


@staff_permission_required("sales.view_salesorder")
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.order_detail(pk=pk)
    except SalesOrder.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "sales/order_detail.html",
        {
            "order": order,
            "tax_by_rate": selectors.document_tax_breakdown(order),
            "credit_hold": selectors.credit_hold_for(organization_id=order.account.organization_id),
            "cancel_form": CancelOrderForm(),
            "audit_entries": audit_entries_for(instance=order),
        },
    )


@staff_permission_required("sales.change_salesorder")
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Confirm (tells finance and logistics) or cancel (with a reason)."""
    order = get_object_or_404(SalesOrder, pk=pk)
    try:
        if action == "confirm":
            services.order_confirm(actor=request.user, order=order)
            messages.success(
                request,
                _("Order %(number)s is confirmed: finance and logistics take it from here.") % {"number": order.number},
            )
        else:
            services.order_cancel(actor=request.user, order=order, reason=request.POST.get("reason", ""))
            messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.number})
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(order)


@staff_permission_required("sales.view_quote")
def product_lookup(request: HttpRequest) -> HttpResponse:
    """The best ten active products for a line's autocomplete (by SKU or name)."""
    query = request.GET.get("q", "").strip()[:100]
    products = list(catalog_selectors.product_list(search=query, is_active=True)[:10]) if query else []
    return render(request, "sales/_product_options.html", {"products": products, "query": query})
