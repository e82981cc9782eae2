"""Staff pages of supplier bills and payment runs: Finance enters, approves (four eyes) and pays bills;
Management reads them."""

import csv

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.finance import bill_selectors, bill_services
from backoffice.finance.bill_forms import (
    ApproveForm,
    BillFilterForm,
    BillForm,
    BillLineFormSet,
    CancelForm,
    PaymentRunForm,
    PaymentRunItemForm,
    line_initial,
)
from backoffice.finance.models import PaymentRun, PaymentRunItem, SupplierBill
from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.forms import apply_service_error, message_service_error
from core.lists import cleaned_filters, list_page

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- bills ------------------------------------------------------------------------


@staff_permission_required("finance.view_supplierbill")
def bill_list(request: HttpRequest) -> HttpResponse:
    form = BillFilterForm(request.GET)
    filters = cleaned_filters(form)
    supplier = filters.get("supplier")
    queryset = bill_selectors.bill_list(
        ordering=filters.get("sort") or "",
        search=filters.get("q") or "",
        state=filters.get("state") or "",
        supplier_id=supplier.pk if supplier else None,
        overdue=filters.get("overdue") == "yes",
    )
    return list_page(
        request,
        template="finance/bills/bill_list.html",
        queryset=queryset,
        filter_form=form,
        context={"today": timezone.localdate()},
    )


@staff_permission_required("finance.view_supplierbill")
def bill_exceptions(request: HttpRequest) -> HttpResponse:
    """Bills whose lines differ from the purchase order or the goods receipt: someone must look before paying."""
    form = BillFilterForm({})
    cleaned_filters(form)
    return list_page(
        request,
        template="finance/bills/bill_exceptions.html",
        queryset=bill_selectors.bill_exceptions(),
        filter_form=form,
        context={"today": timezone.localdate()},
    )


def _bill_form_page(request: HttpRequest, bill: SupplierBill | None) -> HttpResponse:
    """The bill and its lines on one form; the service's refusals come back next to the fields."""
    data = request.POST if request.method == "POST" else None
    if bill is None:
        form = BillForm(data, initial={"currency": "SEK"})
        lines = BillLineFormSet(data, prefix="lines")
    else:
        form = BillForm(
            data,
            initial={
                "supplier": bill.supplier_id,
                "supplier_reference": bill.supplier_reference,
                "bill_date": bill.bill_date,
                "due_date": bill.due_date,
                "currency": bill.currency_id,
                "payment_reference": bill.payment_reference,
            },
        )
        lines = BillLineFormSet(data, prefix="lines", initial=line_initial(bill))
    line_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            if bill is None:
                saved = bill_services.bill_create(actor=request.user, lines=lines.lines(), **form.values())
            else:
                saved = bill_services.bill_update(actor=request.user, bill=bill, lines=lines.lines(), **form.values())
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
            line_errors = errors.pop("lines", [])
            if errors:
                apply_service_error(form, ValidationError(errors))
        else:
            if bill is None:
                messages.success(request, _("The bill is saved. Someone else approves it before it is booked."))
            else:
                messages.success(request, _("Your changes to the bill are saved."))
            return redirect("finance:bill-detail", pk=saved.pk)
    return render(
        request,
        "finance/bills/bill_form.html",
        {"form": form, "lines": lines, "line_errors": line_errors, "bill": bill},
    )


@staff_permission_required("finance.add_supplierbill")
def bill_create(request: HttpRequest) -> HttpResponse:
    return _bill_form_page(request, None)


@staff_permission_required("finance.change_supplierbill")
def bill_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bill = get_object_or_404(SupplierBill.objects.prefetch_related("lines__account"), pk=pk)
    if bill.state != SupplierBill.State.DRAFT or bill.purchase_order_id:
        messages.error(request, _("Only a bill still to approve, entered by hand, can be changed."))
        return redirect("finance:bill-detail", pk=bill.pk)
    return _bill_form_page(request, bill)


@staff_permission_required("finance.view_supplierbill")
def bill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        bill = bill_selectors.bill_detail(pk=pk)
    except SupplierBill.DoesNotExist:
        raise Http404 from None
    user = request.user
    return render(
        request,
        "finance/bills/bill_detail.html",
        {
            "bill": bill,
            "lines": list(bill.lines.all()),
            "payments": list(bill.payment_items.all()),
            "approve_form": ApproveForm(),
            "cancel_form": CancelForm(),
            "entered_by_me": bill.created_by_id == user.pk and not user.is_superuser,
            "audit_entries": audit_entries_for(instance=bill),
        },
    )


@staff_permission_required("finance.approve_supplierbill")
@require_POST
def bill_approve(request: HttpRequest, pk: int) -> HttpResponse:
    bill = get_object_or_404(SupplierBill, pk=pk)
    form = ApproveForm(request.POST)
    form.is_valid()
    try:
        bill = bill_services.bill_approve(
            actor=request.user, bill=bill, accept_differences=form.cleaned_data.get("accept_differences", False)
        )
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("Bill %(bill)s is approved and booked.") % {"bill": bill})
    return redirect("finance:bill-detail", pk=bill.pk)


@staff_permission_required("finance.change_supplierbill")
@require_POST
def bill_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    bill = get_object_or_404(SupplierBill, pk=pk)
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        bill_services.bill_cancel(actor=request.user, bill=bill, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("The bill is cancelled."))
    return redirect("finance:bill-detail", pk=bill.pk)


# --- payment runs -----------------------------------------------------------------


@staff_permission_required("finance.view_paymentrun")
def payment_run_list(request: HttpRequest) -> HttpResponse:
    form = BillFilterForm({})
    cleaned_filters(form)
    return list_page(
        request,
        template="finance/bills/payment_run_list.html",
        queryset=bill_selectors.payment_run_list(),
        filter_form=form,
    )


@staff_permission_required("finance.add_paymentrun")
def payment_run_create(request: HttpRequest) -> HttpResponse:
    form = PaymentRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = bill_services.payment_run_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("The payment run is drafted. Check it, then confirm it."))
            return redirect("finance:payment-run-detail", pk=run.pk)
    return render(request, "finance/bills/payment_run_form.html", {"form": form})


@staff_permission_required("finance.view_paymentrun")
def payment_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run = bill_selectors.payment_run_detail(pk=pk)
    except PaymentRun.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "finance/bills/payment_run_detail.html",
        {
            "run": run,
            "items": list(run.items.all()),
            "totals": bill_selectors.payment_run_totals(run),
            "add_form": PaymentRunItemForm() if run.state == PaymentRun.State.DRAFT else None,
            "audit_entries": audit_entries_for(instance=run),
        },
    )


@staff_permission_required("finance.change_paymentrun")
@require_POST
def payment_run_remove_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    run = get_object_or_404(PaymentRun, pk=pk)
    item = get_object_or_404(PaymentRunItem.objects.select_related("bill"), pk=item_pk, run=run)
    try:
        bill_services.payment_run_remove_item(actor=request.user, run=run, item=item)
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("Bill %(bill)s is taken out of the run.") % {"bill": item.bill})
    return redirect("finance:payment-run-detail", pk=run.pk)


@staff_permission_required("finance.change_paymentrun")
@require_POST
def payment_run_add_item(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PaymentRun, pk=pk)
    form = PaymentRunItemForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("finance:payment-run-detail", pk=run.pk)
    bill = form.cleaned_data["bill"]
    try:
        bill_services.payment_run_add_item(
            actor=request.user, run=run, bill=bill, amount=form.cleaned_data.get("amount")
        )
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("Bill %(bill)s is added to the run.") % {"bill": bill})
    return redirect("finance:payment-run-detail", pk=run.pk)


@staff_permission_required("finance.pay_supplierbill")
@require_POST
def payment_run_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PaymentRun, pk=pk)
    try:
        run = bill_services.payment_run_confirm(actor=request.user, run=run)
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("The payment run is confirmed and booked. Download the payment file for the bank."))
    return redirect("finance:payment-run-detail", pk=run.pk)


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


@staff_permission_required("finance.view_paymentrun")
def payment_run_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmed run as a CSV file the bank executes."""
    try:
        run = bill_selectors.payment_run_detail(pk=pk)
    except PaymentRun.DoesNotExist:
        raise Http404 from None
    if run.state != PaymentRun.State.CONFIRMED:
        messages.error(request, _("Confirm the run first: only a confirmed run is sent to the bank."))
        return redirect(reverse("finance:payment-run-detail", args=[run.pk]))
    response = HttpResponse(content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="payment-run-{run.pk}-{run.payment_date}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("Supplier"), _("Organization number"), _("Reference"), _("Amount"), _("Currency"), _("Bill")])
    for row in bill_selectors.payment_file_rows(run):
        writer.writerow([_text(cell) for cell in row])
    return response
