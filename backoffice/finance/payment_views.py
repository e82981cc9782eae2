"""Staff pages of customer payments and bank files: register a payment, import a bank file and follow its
matching, and work the exceptions list. Finance acts; Management reads."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.finance import selectors, services
from backoffice.finance.forms import (
    BankExceptionFilterForm,
    BankFileForm,
    BankLineIgnoreForm,
    BankLineMatchForm,
    PaymentFilterForm,
    PaymentForm,
)
from backoffice.finance.models import BankStatement, BankStatementLine, Invoice, Payment
from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.forms import apply_service_error, message_service_error
from core.lists import PER_PAGE, ListPaginator, cleaned_filters, list_page

# --- payments -------------------------------------------------------------------------------------------------


@staff_permission_required("finance.view_payment")
def payment_list(request: HttpRequest) -> HttpResponse:
    form = PaymentFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.payment_list(
        search=filters.get("q") or "",
        method=filters.get("method") or "",
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    return list_page(request, template="finance/payments/payment_list.html", queryset=queryset, filter_form=form)


@staff_permission_required("finance.register_payment")
def payment_create(request: HttpRequest) -> HttpResponse:
    invoice = None
    if request.GET.get("invoice") or request.POST.get("invoice"):
        invoice = get_object_or_404(
            Invoice.objects.select_related("organization"),
            pk=request.GET.get("invoice") or request.POST.get("invoice"),
            kind=Invoice.Kind.INVOICE,
        )
    if request.method == "POST":
        form = PaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            organization, currency = data["organization"], data["currency"].pk
            if data["allocate"] == "invoice" and invoice is not None:
                allocations = [services.Allocation(invoice=invoice, amount=min(data["amount"], invoice.amount_due))]
            elif data["allocate"] == "oldest":
                allocations = services.allocations_oldest_first(
                    organization=organization, currency=currency, amount=data["amount"]
                )
            else:
                allocations = []
            try:
                payment = services.payment_register(
                    actor=request.user,
                    organization=organization,
                    date=data["date"],
                    amount=data["amount"],
                    currency=currency,
                    allocations=[item for item in allocations if item.amount > 0],
                    reference=data["reference"],
                    payer_name=data["payer_name"],
                )
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("The payment of %(amount)s %(currency)s is booked.")
                    % {"amount": payment.amount, "currency": payment.currency_id},
                )
                return redirect("finance:payment-detail", pk=payment.pk)
    else:
        initial = {"date": timezone.localdate(), "currency": "SEK", "allocate": "oldest"}
        if invoice is not None:
            initial.update(
                organization=invoice.organization_id,
                currency=invoice.currency_id,
                amount=invoice.amount_due,
                reference=invoice.ocr,
                allocate="invoice",
            )
        form = PaymentForm(initial=initial)
    if invoice is None:
        form.fields["allocate"].choices = [c for c in form.fields["allocate"].choices if c[0] != "invoice"]
    return render(request, "finance/payments/payment_form.html", {"form": form, "invoice": invoice})


@staff_permission_required("finance.view_payment")
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        payment = selectors.payment_detail(pk=pk)
    except Payment.DoesNotExist:
        raise Http404 from None
    open_invoices = []
    if payment.amount_unallocated > 0:
        open_invoices = list(
            selectors.open_invoices(organization_id=payment.organization_id, currency=payment.currency_id)[:20]
        )
    return render(
        request,
        "finance/payments/payment_detail.html",
        {
            "payment": payment,
            "allocations": list(payment.allocations.all()),
            "open_invoices": open_invoices,
            "audit_entries": audit_entries_for(instance=payment),
        },
    )


@staff_permission_required("finance.register_payment")
@require_POST
def payment_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    """Put what is left of a payment on the customer's oldest open invoices."""
    payment = get_object_or_404(Payment.objects.select_related("organization"), pk=pk)
    allocations = services.allocations_oldest_first(
        organization=payment.organization, currency=payment.currency_id, amount=payment.amount_unallocated
    )
    if not allocations:
        messages.error(
            request, _("The customer has no open invoice in %(currency)s.") % {"currency": payment.currency_id}
        )
        return redirect("finance:payment-detail", pk=payment.pk)
    try:
        services.payment_allocate(actor=request.user, payment=payment, allocations=allocations)
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(
            request,
            _("Put on %(count)s invoice(s): %(numbers)s.")
            % {"count": len(allocations), "numbers": ", ".join(item.invoice.number for item in allocations)},
        )
    return redirect("finance:payment-detail", pk=payment.pk)


# --- bank files -----------------------------------------------------------------------------------------------


@staff_permission_required("finance.view_bankstatement")
def bank_statement_list(request: HttpRequest) -> HttpResponse:
    form = BankFileForm()
    if request.method == "POST":
        if not request.user.has_perm("finance.register_payment"):
            raise Http404
        form = BankFileForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                statement = services.bank_statement_import(
                    actor=request.user, file_name=upload.name, content=upload.read()
                )
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(count)s transactions read from %(name)s; they are being matched to open invoices.")
                    % {"count": statement.line_count, "name": statement.file_name},
                )
                return redirect("finance:bank-statement", pk=statement.pk)
    statements = selectors.bank_statement_list()[:50]
    return render(
        request,
        "finance/payments/bank_statement_list.html",
        {"form": form, "statements": statements, "exceptions": selectors.bank_exceptions().count()},
    )


@staff_permission_required("finance.view_bankstatement")
def bank_statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(BankStatement.objects.select_related("imported_by"), pk=pk)
    context = {"statement": statement, "lines": list(selectors.bank_statement_lines(statement=statement)[:500])}
    if getattr(request, "htmx", False) and request.GET.get("progress"):
        return render(request, "finance/payments/bank_statement_detail.html#progress", context)
    return render(request, "finance/payments/bank_statement_detail.html", context)


@staff_permission_required("finance.view_bankstatement")
def bank_exceptions(request: HttpRequest) -> HttpResponse:
    form = BankExceptionFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.bank_exceptions(search=filters.get("q") or "", direction=filters.get("direction") or "")
    page = ListPaginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    suggestions = selectors.match_suggestions(list(page.object_list))
    rows = [
        (line, suggestions.get(line.pk, []), BankLineMatchForm(auto_id=f"line{line.pk}_%s"))
        for line in page.object_list
    ]
    template = "finance/payments/bank_exceptions.html"
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template = f"{template}#results"
    is_filtered = any(value for name, value in filters.items() if name != "sort" and value not in (None, ""))
    return render(
        request,
        template,
        {
            "page": page,
            "rows": rows,
            "filter_form": form,
            "is_filtered": is_filtered,
            "can_match": request.user.has_perm("finance.register_payment"),
        },
    )


@staff_permission_required("finance.register_payment")
@require_POST
def bank_line_match(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(BankStatementLine, pk=pk)
    form = BankLineMatchForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("finance:bank-exceptions")
    invoice = form.cleaned_data.get("invoice")
    try:
        payment = services.bank_line_match(
            actor=request.user,
            line=line,
            organization=form.cleaned_data["organization"],
            invoices=[invoice] if invoice else None,
        )
    except ValidationError as error:
        message_service_error(request, error)
        return redirect("finance:bank-exceptions")
    messages.success(
        request,
        _("%(amount)s %(currency)s from %(customer)s is booked.")
        % {"amount": payment.amount, "currency": payment.currency_id, "customer": payment.organization.name},
    )
    return redirect("finance:bank-exceptions")


@staff_permission_required("finance.register_payment")
@require_POST
def bank_line_ignore(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(BankStatementLine, pk=pk)
    form = BankLineIgnoreForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["note"])
        services.bank_line_ignore(actor=request.user, line=line, note=form.cleaned_data["note"])
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("The line is taken off the list."))
    return redirect("finance:bank-exceptions")
