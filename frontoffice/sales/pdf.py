"""The quote as a PDF, drawn with ReportLab (pure Python: no browser, no system libraries)."""

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

from core.pdf import lines_table
from core.templatetags.kontor import money, plain
from frontoffice.sales.models import Quote


def quote_pdf(quote: Quote, *, language: str = "") -> bytes:
    """The printable quote: who it is for, the lines, VAT per rate, the totals, the terms."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _render(quote)


def _render(quote: Quote) -> bytes:
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8.5, leading=11)
    right = small.clone("right", alignment=2)
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=_("Quote %(reference)s") % {"reference": quote.reference},
        author=settings.COMPANY_NAME,
    )
    organization = quote.account.organization
    address = quote.delivery_address or organization.addresses.order_by("-is_default", "pk").first()
    customer = [escape(organization.name)]
    if address:
        customer += [escape(address.line1), escape(address.line2), escape(f"{address.postal_code} {address.city}")]
    if organization.vat_number:
        customer.append(escape(_("VAT no. %(number)s") % {"number": organization.vat_number}))
    facts = [
        [_("Quote"), quote.reference],
        [_("Date"), date_format(quote.created_at.date(), "SHORT_DATE_FORMAT")],
        [_("Valid until"), date_format(quote.valid_until, "SHORT_DATE_FORMAT")],
        [_("Payment terms"), _("%(days)s days net") % {"days": quote.payment_terms_days}],
        [_("Currency"), quote.currency_id],
    ]
    if quote.owner:
        facts.append([_("Your contact"), quote.owner.full_name or quote.owner.email])
    story = [
        Paragraph(escape(settings.COMPANY_NAME), styles["Title"]),
        Table(
            [
                [
                    Paragraph("<br/>".join(line for line in customer if line), styles["BodyText"]),
                    Table(facts, style=[("FONTSIZE", (0, 0), (-1, -1), 8.5), ("ALIGN", (1, 0), (1, -1), "RIGHT")]),
                ]
            ],
            colWidths=[95 * mm, 79 * mm],
            style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
        ),
        Spacer(1, 8 * mm),
    ]
    currency = quote.currency_id
    lines = quote.lines.select_related("product").order_by("position", "pk")
    story.append(
        lines_table(
            ((line.product.sku if line.product else "", line) for line in lines),
            currency=currency,
            text=small,
            number=right,
        )
    )
    totals = [[_("Subtotal"), money(quote.subtotal, currency)]]
    for rate, net, tax in _tax_by_rate(quote):
        totals.append(
            [_("VAT %(rate)s %% on %(net)s") % {"rate": rate, "net": money(net, currency)}, money(tax, currency)]
        )
    totals.append([_("Total"), money(quote.total, currency)])
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
    if quote.notes:
        story += [Spacer(1, 6 * mm), Paragraph(escape(quote.notes).replace("\n", "<br/>"), small)]
    story += [
        Spacer(1, 6 * mm),
        Paragraph(escape(_("Accept or decline this quote with the link in the e-mail that brought it.")), small),
    ]
    document.build(story)
    return buffer.getvalue()


def _tax_by_rate(quote: Quote) -> list[tuple[str, object, object]]:
    """(rate, net, VAT) per VAT rate, as the totals were computed."""
    from frontoffice.sales.selectors import document_tax_breakdown

    return [(plain(rate), net, tax) for rate, (net, tax) in document_tax_breakdown(quote).items()]
