"""Staff pages of the general ledger: the chart of accounts, journal entries, the trial balance, each account's
general ledger and the lock date. Finance changes the books; Management reads them."""

import csv
import tempfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.finance import selectors, services
from backoffice.finance.forms import (
    AccountFilterForm,
    CreditForm,
    EntryFilterForm,
    EntryForm,
    EntryLineFormSet,
    InvoiceFilterForm,
    LockDateForm,
    PeriodForm,
    ReverseForm,
    default_period,
)
from backoffice.finance.models import Account, Invoice, Journal, JournalEntry
from backoffice.finance.pdf import invoice_pdf
from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.forms import apply_service_error
from core.lists import ListPaginator, cleaned_filters, list_page
from core.parties.models import Organization

# --- chart of accounts ------------------------------------------------------------


@staff_permission_required("finance.view_account")
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.account_list(search=filters.get("q") or "", kind=filters.get("kind") or "")
    return list_page(request, template="finance/account_list.html", queryset=queryset, filter_form=form, per_page=100)


# --- journal entries --------------------------------------------------------------


@staff_permission_required("finance.view_journalentry")
def entry_list(request: HttpRequest) -> HttpResponse:
    form = EntryFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.entry_list_in_period(
        search=filters.get("q") or "",
        journal=filters.get("journal"),
        state=filters.get("state") or "",
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    return list_page(request, template="finance/entry_list.html", queryset=queryset, filter_form=form)


@staff_permission_required("finance.add_journalentry")
def entry_create(request: HttpRequest) -> HttpResponse:
    """A draft entry with its lines; the service checks that it balances, and its errors come back on the form."""
    data = request.POST if request.method == "POST" else None
    form = EntryForm(data, initial={"journal": Journal.objects.filter(code="GEN").first(), "date": _today()})
    lines = EntryLineFormSet(data, prefix="lines")
    line_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            entry = services.entry_create(actor=request.user, lines=lines.lines(), **form.cleaned_data)
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
            line_errors = errors.pop("lines", [])
            if errors:
                apply_service_error(form, ValidationError(errors))
        else:
            messages.success(request, _("Draft %(entry)s is saved. Post it to put it in the books.") % {"entry": entry})
            return redirect(entry)
    return render(request, "finance/entry_form.html", {"form": form, "lines": lines, "line_errors": line_errors})


@staff_permission_required("finance.view_journalentry")
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        entry = selectors.entry_detail(pk=pk)
    except JournalEntry.DoesNotExist:
        raise Http404 from None
    lines = list(entry.lines.all())
    debit = sum((line.debit for line in lines), Decimal(0))
    credit = sum((line.credit for line in lines), Decimal(0))
    return render(
        request,
        "finance/entry_detail.html",
        {
            "entry": entry,
            "lines": lines,
            "debit": debit,
            "credit": credit,
            "reversed_by": selectors.entry_reversed_by(entry=entry) if entry.is_posted else None,
            "reverse_form": ReverseForm(initial={"date": _today()}),
            "audit_entries": audit_entries_for(instance=entry),
        },
    )


def _run(request: HttpRequest, action, success: str) -> JournalEntry | None:
    """Call a service on an entry; its refusal becomes an error message on the page the user comes back to."""
    try:
        entry = action()
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return None
    messages.success(request, success % {"entry": entry})
    return entry


@staff_permission_required("finance.post_journalentry")
@require_POST
def entry_post(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(JournalEntry, pk=pk)
    _run(request, lambda: services.entry_post(actor=request.user, entry=entry), _("Entry %(entry)s is posted."))
    return redirect(entry)


@staff_permission_required("finance.post_journalentry")
@require_POST
def entry_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(JournalEntry, pk=pk)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect(entry)
    reversal = _run(
        request,
        lambda: services.entry_reverse(
            actor=request.user, entry=entry, date=form.cleaned_data["date"], reason=form.cleaned_data["reason"]
        ),
        _("Entry %(entry)s reverses it and is posted."),
    )
    return redirect(reversal or entry)


@staff_permission_required("finance.delete_journalentry")
@require_POST
def entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(JournalEntry, pk=pk)
    try:
        services.entry_delete_draft(actor=request.user, entry=entry)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect(entry)
    messages.success(request, _("The draft is deleted."))
    return redirect("finance:entry-list")


# --- invoices ---------------------------------------------------------------------


@staff_permission_required("finance.view_invoice")
def invoice_list(request: HttpRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET)
    filters = cleaned_filters(form)
    customer = None
    if filters.get("organization"):
        customer = Organization.objects.filter(pk=filters["organization"]).first()
    queryset = selectors.invoice_list(
        search=filters.get("q") or "",
        state=filters.get("state") or "",
        kind=filters.get("kind") or "",
        organization_id=customer.pk if customer else None,
    )
    return list_page(
        request,
        template="finance/invoice_list.html",
        queryset=queryset,
        filter_form=form,
        context={"customer": customer},
    )


@staff_permission_required("finance.view_invoice")
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        invoice = selectors.invoice_detail(pk=pk)
    except Invoice.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "finance/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "by_rate": selectors.invoice_tax_breakdown(invoice),
            "credit_notes": list(invoice.credit_notes.all()),
            "payments": list(selectors.invoice_payments(invoice=invoice)),
            "credit_form": CreditForm(),
            "audit_entries": audit_entries_for(instance=invoice),
        },
    )


def _invoice_action(request: HttpRequest, action, success: str) -> Invoice | None:
    try:
        invoice = action()
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return None
    messages.success(request, success % {"invoice": invoice})
    return invoice


@staff_permission_required("finance.issue_invoice")
@require_POST
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    _invoice_action(
        request,
        lambda: services.invoice_issue(actor=request.user, invoice=invoice),
        _("Invoice %(invoice)s is issued and booked."),
    )
    return redirect("finance:invoice-detail", pk=invoice.pk)


@staff_permission_required("finance.issue_invoice")
@require_POST
def invoice_credit(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    form = CreditForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("finance:invoice-detail", pk=invoice.pk)
    note = _invoice_action(
        request,
        lambda: services.invoice_credit(actor=request.user, invoice=invoice, reason=form.cleaned_data["reason"]),
        _("Credit note %(invoice)s credits the invoice in full."),
    )
    return redirect("finance:invoice-detail", pk=(note or invoice).pk)


@staff_permission_required("finance.issue_invoice")
@require_POST
def invoice_send(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    _invoice_action(
        request,
        lambda: services.invoice_send(actor=request.user, invoice=invoice),
        _("Invoice %(invoice)s is on its way to the customer."),
    )
    return redirect("finance:invoice-detail", pk=invoice.pk)


@staff_permission_required("finance.issue_invoice")
@require_POST
def invoice_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    form = CreditForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _invoice_action(
        request,
        lambda: services.invoice_cancel(actor=request.user, invoice=invoice, reason=reason),
        _("The draft %(invoice)s is cancelled; it never gets a number."),
    )
    return redirect("finance:invoice-detail", pk=invoice.pk)


@staff_permission_required("finance.view_invoice")
def invoice_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        invoice = selectors.invoice_detail(pk=pk)
    except Invoice.DoesNotExist:
        raise Http404 from None
    return pdf_response(invoice)


def pdf_response(invoice: Invoice) -> HttpResponse:
    """The invoice's PDF, shown in the browser; a draft is named by its id."""
    response = HttpResponse(
        invoice_pdf(invoice, language=translation.get_language() or ""), content_type="application/pdf"
    )
    name = invoice.number or f"draft-{invoice.pk}"
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


# --- reports ----------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _period(request: HttpRequest) -> tuple[PeriodForm, date | None, date | None]:
    """The report's period from the URL, else this fiscal year to today; (form, None, None) when it is wrong."""
    if "date_from" in request.GET or "date_to" in request.GET:
        form = PeriodForm(request.GET)
    else:
        year = selectors.fiscal_year_on(_today())
        form = PeriodForm(default_period(year.start if year else None))
    if form.is_valid():
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    return form, None, None


def _with_period(url: str, date_from: date | None, date_to: date | None) -> str:
    period = {name: value.isoformat() for name, value in (("date_from", date_from), ("date_to", date_to)) if value}
    return f"{url}?{urlencode(period)}" if period else url


def ledger_url(account_id: int, date_from: date | None, date_to: date | None) -> str:
    """The general ledger of an account for a period: where a trial balance row drills down to."""
    return _with_period(reverse("finance:account-ledger", args=[account_id]), date_from, date_to)


@staff_permission_required("finance.view_journalentry")
def trial_balance(request: HttpRequest) -> HttpResponse:
    form, date_from, date_to = _period(request)
    report = None
    if form.is_valid():
        report = selectors.trial_balance_report(date_from=date_from, date_to=date_to)
        for row in report.rows:
            row["ledger_url"] = ledger_url(row["account_id"], date_from, date_to)
        export = request.GET.get("format")
        if export in ("csv", "xlsx"):
            return _trial_balance_file(report, export)
    return render(request, "finance/trial_balance.html", {"form": form, "report": report})


@staff_permission_required("finance.view_journalentry")
def account_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=pk)
    form, date_from, date_to = _period(request)
    ledger = None
    page = None
    if form.is_valid():
        ledger = selectors.account_ledger(account=account, date_from=date_from, date_to=date_to)
        page = ListPaginator(ledger.lines, 50).get_page(request.GET.get("page"))
    template = "finance/account_ledger.html"
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template += "#results"
    return render(
        request,
        template,
        {
            "account": account,
            "form": form,
            "ledger": ledger,
            "page": page,
            "rows": page.object_list if page else [],
            "trial_balance_url": _with_period(reverse("finance:trial-balance"), date_from, date_to),
        },
    )


# --- files ------------------------------------------------------------------------

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """A text a spreadsheet would take for a formula, defused with a leading apostrophe."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _trial_balance_table(report: selectors.TrialBalance) -> Iterator[list]:
    yield [_("Account"), _("Name"), _("Debit"), _("Credit"), _("Balance")]
    for row in report.rows:
        yield [row["account__code"], _text(row["account__name"]), row["debit"], row["credit"], row["balance"]]
    yield ["", _("Total"), report.debit, report.credit, report.balance]


def _trial_balance_file(report: selectors.TrialBalance, file_format: str) -> HttpResponse | FileResponse:
    stem = f"trial-balance-{report.date_from.isoformat()}-{report.date_to.isoformat()}"
    table = _trial_balance_table(report)
    if file_format == "csv":
        response = HttpResponse(content_type=CSV_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        response.write("\ufeff")  # a BOM, so that Excel reads the file as UTF-8
        writer = csv.writer(response)
        for row in table:
            writer.writerow([f"{cell:.2f}" if isinstance(cell, Decimal) else cell for cell in row])
        return response
    return FileResponse(
        _xlsx(table, title=_("Trial balance")),
        as_attachment=True,
        filename=f"{stem}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


def _xlsx(table: Iterator[list], *, title: str):
    """A workbook of one sheet (openpyxl's write-only mode): the first row bold, amounts as numbers, text as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    for number, row in enumerate(table):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            else:
                cell.data_type = "s"  # text stays text: "=..." is never stored as a formula
            if number == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    output = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    workbook.save(output)
    output.seek(0)
    return output


# --- settings ---------------------------------------------------------------------


@staff_permission_required("finance.view_ledgersettings")
def ledger_settings(request: HttpRequest) -> HttpResponse:
    """The lock date and the fiscal years; Finance moves the lock date forward here."""
    row = selectors.ledger_settings()
    form = LockDateForm(request.POST or None, initial={"lock_date": row.lock_date})
    if request.method == "POST":
        if not request.user.has_perm("finance.change_ledgersettings"):
            raise PermissionDenied
        if form.is_valid():
            try:
                row = services.lock_date_set(actor=request.user, lock_date=form.cleaned_data["lock_date"])
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("The books are locked up to and including %(day)s.") % {"day": date_format(row.lock_date)},
                )
                return redirect("finance:settings")
    return render(
        request,
        "finance/settings.html",
        {
            "settings_row": row,
            "form": form,
            "fiscal_years": list(selectors.fiscal_years()),
            "audit_entries": audit_entries_for(instance=row),
        },
    )
