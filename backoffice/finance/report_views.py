"""Staff pages of the financial reports, under /app/finance/reports/: each shows a table and a small chart drawn in
the page (CSS bars, nothing loaded from elsewhere), downloads as CSV or Excel, and links every figure to the
entries, invoices or bills behind it."""

import csv
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.finance import reports, selectors
from backoffice.finance.forms import PeriodForm, default_period
from backoffice.finance.views import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, _text, _xlsx
from core.accounts.decorators import staff_permission_required
from core.parties.models import Organization

LEDGER = "finance.view_journalentry"
RECEIVABLES = "finance.view_invoice"
PAYABLES = "finance.view_supplierbill"
EXPORTS = ("csv", "xlsx")


class AsOfForm(forms.Form):
    """The day a balance report is made for."""

    date = forms.DateField(
        label=gettext_lazy("As of"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class CustomerPickForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Customer"), queryset=Organization.objects.none(), empty_label=gettext_lazy("Choose…")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = reports.statement_customers()


# --- helpers ------------------------------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _year_start(day: date) -> date:
    year = selectors.fiscal_year_on(day)
    return year.start if year else day.replace(month=1, day=1)


def _period(request: HttpRequest) -> tuple[PeriodForm, date | None, date | None]:
    """The period from the URL, else this fiscal year to today; (form, None, None) when it is wrong."""
    if "date_from" in request.GET or "date_to" in request.GET:
        form = PeriodForm(request.GET)
    else:
        year = selectors.fiscal_year_on(_today())
        form = PeriodForm(default_period(year.start if year else None))
    if form.is_valid():
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    return form, None, None


def _as_of(request: HttpRequest) -> tuple[AsOfForm, date | None]:
    form = AsOfForm(request.GET if "date" in request.GET else {"date": _today()})
    if form.is_valid():
        return form, form.cleaned_data["date"]
    return form, None


def _url(name: str, *args, **query) -> str:
    url = reverse(name, args=args)
    query = {key: value.isoformat() if isinstance(value, date) else value for key, value in query.items() if value}
    return f"{url}?{urlencode(query)}" if query else url


def _ledger(account_id: int | None, date_from: date, date_to: date) -> str:
    if account_id is None:
        return ""
    return _url("finance:account-ledger", account_id, date_from=date_from, date_to=date_to)


def _bars(items: list[tuple[str, Decimal, str]]) -> list[dict]:
    """CSS bars: each (label, amount, link) with its width relative to the largest amount."""
    largest = max((abs(amount) for _label, amount, _link in items), default=Decimal(0))
    return [
        {
            "label": label,
            "amount": amount,
            "url": link,
            "width": int(abs(amount) * 100 / largest) if largest else 0,
            "negative": amount < 0,
        }
        for label, amount, link in items
    ]


def _file(table: Iterator[list], *, stem: str, title: str, file_format: str) -> HttpResponse | FileResponse:
    """The report as CSV (UTF-8 with a BOM, for Excel) or as a one-sheet workbook."""
    if file_format == "csv":
        response = HttpResponse(content_type=CSV_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        for row in table:
            writer.writerow([f"{cell:.2f}" if isinstance(cell, Decimal) else cell for cell in row])
        return response
    return FileResponse(
        _xlsx(table, title=title), as_attachment=True, filename=f"{stem}.xlsx", content_type=XLSX_CONTENT_TYPE
    )


def _export(request: HttpRequest, table: Callable[[], Iterator[list]], *, stem: str, title: str):
    file_format = request.GET.get("format")
    if file_format in EXPORTS:
        return _file(table(), stem=stem, title=title, file_format=file_format)
    return None


# --- the index ----------------------------------------------------------------------------------------------------


@staff_permission_required(LEDGER)
def report_index(request: HttpRequest) -> HttpResponse:
    user = request.user
    items = [
        (
            "finance:report-profit-and-loss",
            _("Profit and loss"),
            _("Income and costs of a period by BAS class, and the result."),
            LEDGER,
            "graph-up",
        ),
        (
            "finance:report-balance-sheet",
            _("Balance sheet"),
            _("Assets, equity and liabilities on a day."),
            LEDGER,
            "bank",
        ),
        (
            "finance:trial-balance",
            _("Trial balance"),
            _("Debits and credits per account over a period."),
            LEDGER,
            "table",
        ),
        (
            "finance:report-vat",
            _("VAT return"),
            _("The boxes of Skatteverket's VAT return for a period."),
            LEDGER,
            "percent",
        ),
        (
            "finance:report-aged-receivables",
            _("Aged receivables"),
            _("What customers owe, by how long it has been due."),
            RECEIVABLES,
            "hourglass-split",
        ),
        (
            "finance:report-aged-payables",
            _("Aged payables"),
            _("What we owe suppliers, by how long it has been due."),
            PAYABLES,
            "hourglass",
        ),
        (
            "finance:report-customer-statement-pick",
            _("Customer statement"),
            _("A customer's account over a period, line by line."),
            LEDGER,
            "person-lines-fill",
        ),
    ]
    links = [
        {"url": reverse(name), "title": title, "text": text, "icon": icon}
        for name, title, text, permission, icon in items
        if user.has_perm(permission)
    ]
    return render(request, "finance/reports/index.html", {"links": links})


# --- profit and loss ----------------------------------------------------------------------------------------------


def _profit_and_loss_table(report: reports.ProfitAndLoss) -> Iterator[list]:
    yield [_("Section"), _("Account"), _("Name"), _("Amount")]
    for section in report.sections:
        for row in section.rows:
            yield [section.label, row["account__code"], _text(row["account__name"]), row["amount"]]
        yield [section.label, "", _("Total"), section.total]
        if section.key == "personnel":
            yield ["", "", _("Operating result"), report.operating_result]
    yield ["", "", _("Result"), report.result]


@staff_permission_required(LEDGER)
def profit_and_loss(request: HttpRequest) -> HttpResponse:
    form, date_from, date_to = _period(request)
    report = None
    bars = []
    trial_balance_url = ""
    if form.is_valid():
        report = reports.profit_and_loss(date_from=date_from, date_to=date_to)
        stem = f"profit-and-loss-{date_from.isoformat()}-{date_to.isoformat()}"
        exported = _export(request, lambda: _profit_and_loss_table(report), stem=stem, title=_("Profit and loss"))
        if exported:
            return exported
        trial_balance_url = _url("finance:trial-balance", date_from=date_from, date_to=date_to)
        for section in report.sections:
            for row in section.rows:
                row["url"] = _ledger(row["account_id"], date_from, date_to)
        bars = _bars(
            [(section.label, section.total, trial_balance_url) for section in report.sections]
            + [(_("Result"), report.result, trial_balance_url)]
        )
    return render(
        request,
        "finance/reports/profit_and_loss.html",
        {"form": form, "report": report, "bars": bars, "trial_balance_url": trial_balance_url},
    )


# --- balance sheet ------------------------------------------------------------------------------------------------


def _balance_sheet_table(report: reports.BalanceSheet) -> Iterator[list]:
    yield [_("Side"), _("Account"), _("Name"), _("Amount")]
    for row in report.assets:
        yield [_("Assets"), row["account__code"], _text(row["account__name"]), row["amount"]]
    yield [_("Assets"), "", _("Total assets"), report.total_assets]
    for row in report.equity:
        yield [_("Equity"), row["account__code"], _text(row["account__name"]), row["amount"]]
    yield [_("Equity"), "", _("Result not yet closed"), report.unclosed_result]
    for row in report.liabilities:
        yield [_("Liabilities"), row["account__code"], _text(row["account__name"]), row["amount"]]
    yield ["", "", _("Total equity and liabilities"), report.total_equity_and_liabilities]


@staff_permission_required(LEDGER)
def balance_sheet(request: HttpRequest) -> HttpResponse:
    form, day = _as_of(request)
    report = None
    bars = []
    result_url = ""
    if day:
        report = reports.balance_sheet(day=day)
        exported = _export(
            request,
            lambda: _balance_sheet_table(report),
            stem=f"balance-sheet-{day.isoformat()}",
            title=_("Balance sheet"),
        )
        if exported:
            return exported
        start = _year_start(day)
        for row in [*report.assets, *report.equity, *report.liabilities]:
            row["url"] = _ledger(row["account_id"], start, day)
        result_url = _url("finance:report-profit-and-loss", date_from=start, date_to=day)
        trial_balance_url = _url("finance:trial-balance", date_from=start, date_to=day)
        bars = _bars(
            [
                (_("Assets"), report.total_assets, trial_balance_url),
                (_("Equity"), report.total_equity, trial_balance_url),
                (_("Result not yet closed"), report.unclosed_result, result_url),
                (_("Liabilities"), report.total_liabilities, trial_balance_url),
            ]
        )
    return render(
        request,
        "finance/reports/balance_sheet.html",
        {"form": form, "report": report, "bars": bars, "result_url": result_url},
    )


# --- aged receivables and payables --------------------------------------------------------------------------------


def _aged_table(report: reports.AgedBalances, party_label: str) -> Iterator[list]:
    yield [party_label, *[str(label) for _key, label in reports.AGING_BUCKETS], _("Total")]
    for row in report.rows:
        yield [_text(row["party_name"]), *[row[key] for key, _label in reports.AGING_BUCKETS], row["total"]]
    yield [_("Total"), *[report.totals[key] for key, _label in reports.AGING_BUCKETS], report.total]


def _bill_url(bill) -> str:
    return reverse("finance:bill-detail", args=[bill.pk])


def _aged_page(request: HttpRequest, *, payables: bool) -> HttpResponse:
    form, day = _as_of(request)
    organization_id = request.GET.get("organization")
    organization_id = int(organization_id) if organization_id and organization_id.isdigit() else None
    report = None
    bars = []
    total_cells = []
    name = "finance:report-aged-payables" if payables else "finance:report-aged-receivables"
    if day:
        select = reports.aged_payables if payables else reports.aged_receivables
        report = select(day=day, organization_id=organization_id)
        party_label = _("Supplier") if payables else _("Customer")
        stem = f"aged-{'payables' if payables else 'receivables'}-{day.isoformat()}"
        title = _("Aged payables") if payables else _("Aged receivables")
        exported = _export(request, lambda: _aged_table(report, party_label), stem=stem, title=title)
        if exported:
            return exported
        year_start = _year_start(day)
        for row in report.rows:
            row["cells"] = [row[key] for key, _label in reports.AGING_BUCKETS]
            row["detail_url"] = _url(name, date=day, organization=row["party_id"]) + "#documents"
            if payables:
                row["party_url"] = _url("finance:bill-list", supplier=row["party_id"], state="approved")
            else:
                row["party_url"] = _url("finance:invoice-list", organization=row["party_id"], state="issued")
                row["statement_url"] = _url(
                    "finance:report-customer-statement", row["party_id"], date_from=year_start, date_to=day
                )
        for document in report.documents:
            document.url = _bill_url(document) if payables else reverse("finance:invoice-detail", args=[document.pk])
        total_cells = [(key, report.totals[key]) for key, _label in reports.AGING_BUCKETS]
        list_url = (
            _url("finance:bill-list", state="approved") if payables else _url("finance:invoice-list", state="issued")
        )
        bars = _bars([(str(label), report.totals[key], list_url) for key, label in reports.AGING_BUCKETS])
    return render(
        request,
        "finance/reports/aged.html",
        {
            "form": form,
            "report": report,
            "bars": bars,
            "payables": payables,
            "buckets": reports.AGING_BUCKETS,
            "total_cells": total_cells,
            "page_url": name,
        },
    )


@staff_permission_required(RECEIVABLES)
def aged_receivables(request: HttpRequest) -> HttpResponse:
    return _aged_page(request, payables=False)


@staff_permission_required(PAYABLES)
def aged_payables(request: HttpRequest) -> HttpResponse:
    return _aged_page(request, payables=True)


# --- VAT ----------------------------------------------------------------------------------------------------------


def _vat_table(report: reports.VatReturn) -> Iterator[list]:
    yield [_("Box"), _("Description"), _("Accounts"), _("Amount")]
    for box in report.boxes:
        yield [box["box"], box["label"], ", ".join(account["code"] for account in box["accounts"]), box["amount"]]


@staff_permission_required(LEDGER)
def vat_report(request: HttpRequest) -> HttpResponse:
    form, date_from, date_to = _period(request)
    report = None
    bars = []
    trial_balance_url = ""
    if form.is_valid():
        report = reports.vat_return(date_from=date_from, date_to=date_to)
        stem = f"vat-{date_from.isoformat()}-{date_to.isoformat()}"
        exported = _export(request, lambda: _vat_table(report), stem=stem, title=_("VAT return"))
        if exported:
            return exported
        trial_balance_url = _url("finance:trial-balance", date_from=date_from, date_to=date_to)
        for box in report.boxes:
            for account in box["accounts"]:
                account["url"] = _ledger(account["account_id"], date_from, date_to)
            if len(box["accounts"]) == 1:
                box["url"] = box["accounts"][0]["url"]
            else:  # several accounts (05) or a sum of boxes (49): the trial balance has them all; 06 and 07 none
                box["url"] = trial_balance_url if box["accounts"] or box["box"] == "49" else ""
        bars = _bars(
            [
                (f"{box['box']} {box['label']}", box["amount"], box["url"])
                for box in report.boxes
                if box["box"] in ("10", "11", "12", "48", "49")
            ]
        )
    return render(
        request,
        "finance/reports/vat.html",
        {"form": form, "report": report, "bars": bars, "trial_balance_url": trial_balance_url},
    )


# --- customer statement -------------------------------------------------------------------------------------------


@staff_permission_required(LEDGER)
def customer_statement_pick(request: HttpRequest) -> HttpResponse:
    form = CustomerPickForm(request.GET or None)
    if form.is_valid():
        period = {key: request.GET[key] for key in ("date_from", "date_to") if request.GET.get(key)}
        return redirect(_url("finance:report-customer-statement", form.cleaned_data["organization"].pk, **period))
    return render(request, "finance/reports/customer_pick.html", {"form": form})


def _statement_table(statement: reports.CustomerStatement) -> Iterator[list]:
    yield [_("Date"), _("Entry"), _("Text"), _("Debit"), _("Credit"), _("Balance")]
    yield [statement.date_from.isoformat(), "", _("Opening balance"), "", "", statement.opening_balance]
    for line in statement.lines:
        text = line.description or line.entry.description
        yield [
            line.entry.date.isoformat(),
            line.entry.number,
            _text(text),
            line.debit,
            line.credit,
            line.running_balance,
        ]
    yield [
        statement.date_to.isoformat(),
        "",
        _("Closing balance"),
        statement.debit,
        statement.credit,
        statement.closing_balance,
    ]


def _statement_pdf(statement: reports.CustomerStatement) -> bytes:
    """The statement on A4, to send to the customer: who, which period, the lines and the balances."""
    from io import BytesIO
    from xml.sax.saxutils import escape

    from django.conf import settings
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from core.templatetags.kontor import money

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8.5, leading=11)
    right = small.clone("right", alignment=2)

    def amount(value: Decimal | None) -> Paragraph:
        return Paragraph(money(value, "SEK") if value else "", right)

    rows = [[_("Date"), _("Entry"), _("Text"), _("Debit"), _("Credit"), _("Balance")]]
    rows.append(["", "", Paragraph(_("Opening balance"), small), "", "", amount(statement.opening_balance)])
    for line in statement.lines:
        rows.append(
            [
                line.entry.date.isoformat(),
                line.entry.number,
                Paragraph(escape(line.description or line.entry.description), small),
                amount(line.debit),
                amount(line.credit),
                Paragraph(money(line.running_balance, "SEK"), right),
            ]
        )
    rows.append(
        [
            "",
            "",
            Paragraph(f"<b>{escape(_('Closing balance'))}</b>", small),
            amount(statement.debit),
            amount(statement.credit),
            Paragraph(f"<b>{escape(money(statement.closing_balance, 'SEK'))}</b>", right),
        ]
    )
    table = Table(
        rows,
        colWidths=[22 * mm, 28 * mm, 58 * mm, 24 * mm, 24 * mm, 26 * mm],
        repeatRows=1,
        style=TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        ),
    )
    period = _("%(start)s to %(end)s") % {
        "start": statement.date_from.isoformat(),
        "end": statement.date_to.isoformat(),
    }
    output = BytesIO()
    document = SimpleDocTemplate(output, pagesize=A4, title=_("Customer statement"), author=settings.COMPANY_NAME)
    document.build(
        [
            Paragraph(escape(settings.COMPANY_NAME), small),
            Paragraph(escape(_("Customer statement")), styles["Heading1"]),
            Paragraph(f"{escape(statement.organization.name)} · {escape(period)}", styles["BodyText"]),
            Spacer(1, 6 * mm),
            table,
        ]
    )
    return output.getvalue()


@staff_permission_required(LEDGER)
def customer_statement(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=organization_id)
    form, date_from, date_to = _period(request)
    statement = None
    bars = []
    ledger_url = ""
    if form.is_valid():
        statement = reports.customer_statement(organization=organization, date_from=date_from, date_to=date_to)
        stem = f"statement-{organization.pk}-{date_from.isoformat()}-{date_to.isoformat()}"
        exported = _export(request, lambda: _statement_table(statement), stem=stem, title=_("Customer statement"))
        if exported:
            return exported
        if request.GET.get("format") == "pdf":
            response = HttpResponse(_statement_pdf(statement), content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="{stem}.pdf"'
            return response
        account = selectors.accounts().filter(code=reports.RECEIVABLES_ACCOUNT).values_list("pk", flat=True).first()
        ledger_url = _ledger(account, date_from, date_to)
        before_url = _ledger(account, _year_start(date_from - timedelta(days=1)), date_from - timedelta(days=1))
        bars = _bars(
            [
                (_("Opening balance"), statement.opening_balance, before_url),
                (_("Invoiced (debit)"), statement.debit, ledger_url),
                (_("Paid or credited (credit)"), -statement.credit, ledger_url),
                (_("Closing balance"), statement.closing_balance, ledger_url),
            ]
        )
    return render(
        request,
        "finance/reports/customer_statement.html",
        {
            "form": form,
            "organization": organization,
            "statement": statement,
            "bars": bars,
            "ledger_url": ledger_url,
            "invoices_url": _url("finance:invoice-list", organization=organization.pk),
        },
    )
