"""The invoice or credit note as a PDF, drawn with ReportLab (like sales' quote: pure Python, no browser).

The seller's registration and payment details come from settings when they are set (COMPANY_ADDRESS,
COMPANY_ORG_NUMBER, COMPANY_VAT_NUMBER, COMPANY_BANKGIRO, COMPANY_IBAN); a Swedish invoice must show the
seller's VAT number, so production sets them.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table
from reportlab.platypus.flowables import KeepTogether

from backoffice.finance.invoicing import RECEIVABLE_ACCOUNT
from backoffice.finance.models import Invoice
from backoffice.finance.selectors import base_currency, invoice_tax_breakdown
from core.pdf import lines_table
from core.templatetags.kontor import money, plain


def invoice_pdf(invoice: Invoice, *, language: str = "") -> bytes:
    """The printable invoice: seller, customer, number, dates, OCR, lines, VAT per rate, total, how to pay."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _render(invoice)


def _seller() -> list[str]:
    lines = [settings.COMPANY_NAME, getattr(settings, "COMPANY_ADDRESS", "")]
    org_number = getattr(settings, "COMPANY_ORG_NUMBER", "")
    vat_number = getattr(settings, "COMPANY_VAT_NUMBER", "")
    if org_number:
        lines.append(_("Org. no. %(number)s") % {"number": org_number})
    if vat_number:
        lines.append(_("VAT no. %(number)s") % {"number": vat_number})
    return [escape(line) for line in lines if line]


def _address_lines(address: dict | None) -> list[str]:
    if not address:
        return []
    return [
        address.get("line1", ""),
        address.get("line2", ""),
        f"{address.get('postal_code', '')} {address.get('city', '')}".strip(),
    ]


def _render(invoice: Invoice) -> bytes:
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8.5, leading=11)
    right = small.clone("right", alignment=2)
    currency = invoice.currency_id
    title = (_("Credit note %(number)s") if invoice.is_credit_note else _("Invoice %(number)s")) % {
        "number": invoice.number or _("(draft)")
    }
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=settings.COMPANY_NAME,
    )
    customer = [escape(line) for line in [invoice.customer_name, *_address_lines(invoice.billing_address)] if line]
    if invoice.customer_vat_number:
        customer.append(escape(_("VAT no. %(number)s") % {"number": invoice.customer_vat_number}))
    facts = [
        [_("Credit note") if invoice.is_credit_note else _("Invoice"), invoice.number or _("(draft)")],
    ]
    if invoice.invoice_date:
        label = _("Date") if invoice.is_credit_note else _("Invoice date")
        facts.append([label, date_format(invoice.invoice_date, "SHORT_DATE_FORMAT")])
    if invoice.is_credit_note and invoice.credited_invoice_id:
        facts.append([_("Credits invoice"), invoice.credited_invoice.number])
    elif invoice.due_date:
        facts.append([_("Due date"), date_format(invoice.due_date, "SHORT_DATE_FORMAT")])
        facts.append([_("Payment terms"), _("%(days)s days net") % {"days": invoice.payment_terms_days}])
    if invoice.ocr and not invoice.is_credit_note:
        facts.append([_("OCR reference"), invoice.ocr])
    if invoice.order_number:
        facts.append([_("Your order"), invoice.order_number])
    if invoice.customer_reference:
        facts.append([_("Your reference"), invoice.customer_reference])
    facts.append([_("Currency"), currency])
    story = [
        Table(
            [[Paragraph(escape(settings.COMPANY_NAME), styles["Title"]), Paragraph(escape(title), styles["Heading2"])]],
            colWidths=[95 * mm, 79 * mm],
            style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
        ),
        Table(
            [
                [
                    Paragraph("<br/>".join(customer), styles["BodyText"]),
                    Table(facts, style=[("FONTSIZE", (0, 0), (-1, -1), 8.5), ("ALIGN", (1, 0), (1, -1), "RIGHT")]),
                ]
            ],
            colWidths=[95 * mm, 79 * mm],
            style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
        ),
    ]
    delivery = _address_lines(invoice.delivery_address)
    if any(delivery) and invoice.delivery_address != invoice.billing_address:
        story.append(
            Paragraph(
                escape(_("Delivered to: %(address)s") % {"address": ", ".join(line for line in delivery if line)}),
                small,
            )
        )
    story.append(Spacer(1, 8 * mm))
    story.append(
        lines_table(((line.sku, line) for line in invoice.lines.all()), currency=currency, text=small, number=right)
    )
    totals = [[_("Subtotal"), money(invoice.subtotal, currency)]]
    for item in invoice_tax_breakdown(invoice):
        totals.append(
            [
                _("VAT %(rate)s %% on %(net)s") % {"rate": plain(item.rate), "net": money(item.net, currency)},
                money(item.tax, currency),
            ]
        )
    totals.append([_("Credited") if invoice.is_credit_note else _("Total to pay"), money(invoice.total, currency)])
    story += [
        Spacer(1, 4 * mm),
        KeepTogether(
            Table(
                totals,
                colWidths=[120 * mm, 54 * mm],
                style=[
                    ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                    ("FONTSIZE", (0, 0), (-1, -1), 9),
                    ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                ],
            )
        ),
    ]
    if currency != base_currency():
        story.append(Paragraph(escape(_exchange_note(invoice)), right))
    if invoice.is_credit_note and invoice.reason:
        story += [Spacer(1, 4 * mm), Paragraph(escape(_("Reason: %(reason)s") % {"reason": invoice.reason}), small)]
    story += [Spacer(1, 8 * mm), *_payment(invoice, small), Spacer(1, 6 * mm)]
    story.append(Paragraph("<br/>".join(_seller()), small))
    document.build(story)
    return buffer.getvalue()


def _exchange_note(invoice: Invoice) -> str:
    """The rate the invoice was booked at and what it came to in SEK (the receivable in the books)."""
    note = _("Exchange rate: %(rate)s SEK per %(currency)s.") % {
        "rate": plain(invoice.exchange_rate),
        "currency": invoice.currency_id,
    }
    receivable = invoice.entry.lines.filter(account__code=RECEIVABLE_ACCOUNT).first() if invoice.entry_id else None
    if receivable is not None:
        note += " " + _("In SEK: %(amount)s.") % {"amount": money(receivable.debit or receivable.credit, "SEK")}
    return note


def _payment(invoice: Invoice, style) -> list:
    """How to pay: the account, the OCR reference and the due date (a credit note asks for nothing)."""
    if invoice.is_credit_note or not invoice.ocr:
        return []
    accounts = []
    bankgiro = getattr(settings, "COMPANY_BANKGIRO", "")
    iban = getattr(settings, "COMPANY_IBAN", "")
    if bankgiro:
        accounts.append(_("Bankgiro %(number)s") % {"number": bankgiro})
    if iban:
        accounts.append(_("IBAN %(number)s") % {"number": iban})
    text = _("Pay %(amount)s by %(due)s with the OCR reference %(ocr)s.") % {
        "amount": money(invoice.total, invoice.currency_id),
        "due": date_format(invoice.due_date, "SHORT_DATE_FORMAT"),
        "ocr": invoice.ocr,
    }
    if accounts:
        text += " " + _("To: %(accounts)s.") % {"accounts": ", ".join(accounts)}
    return [Paragraph(f"<b>{escape(text)}</b>", style)]
