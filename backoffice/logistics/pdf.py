"""A purchase order (or request for quotation) as a PDF for the supplier, drawn with ReportLab."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from backoffice.logistics.models import PurchaseOrder
from core.pdf import lines_table
from core.templatetags.kontor import money


@dataclass(frozen=True)
class _Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal


def purchase_order_pdf(order: PurchaseOrder, *, language: str = "") -> bytes:
    with translation.override(language or settings.LANGUAGE_CODE):
        styles = getSampleStyleSheet()
        number = styles["BodyText"].clone("number", alignment=2)
        buffer = BytesIO()
        document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, title=str(order))
        confirmed = order.state not in {PurchaseOrder.State.DRAFT, PurchaseOrder.State.SENT}
        title = _("Purchase order %(number)s") if confirmed else _("Request for quotation %(number)s")
        lines = [
            _Line(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=Decimal(0),
                tax_rate=line.tax_rate,
                net_amount=(line.quantity * line.unit_price).quantize(Decimal("0.01"), ROUND_HALF_UP),
            )
            for line in order.lines.select_related("product")
        ]
        net = sum((line.net_amount for line in lines), Decimal(0))
        story = [
            Paragraph(escape(title % {"number": order}), styles["Title"]),
            Paragraph(escape(settings.COMPANY_NAME), styles["BodyText"]),
            Paragraph(escape(_("To: %(supplier)s") % {"supplier": order.supplier.name}), styles["BodyText"]),
            Paragraph(
                escape(
                    _("Deliver to: %(warehouse)s %(address)s")
                    % {"warehouse": order.warehouse.name, "address": order.warehouse.address}
                ),
                styles["BodyText"],
            ),
        ]
        if order.expected_on:
            story.append(
                Paragraph(
                    escape(_("Wanted by: %(day)s") % {"day": date_format(order.expected_on, "SHORT_DATE_FORMAT")}),
                    styles["BodyText"],
                )
            )
        story += [
            Spacer(1, 6 * mm),
            lines_table(
                (
                    (line.product.sku, row)
                    for line, row in zip(order.lines.select_related("product"), lines, strict=True)
                ),
                currency=order.currency,
                text=styles["BodyText"],
                number=number,
            ),
            Spacer(1, 4 * mm),
            Paragraph(escape(_("Total excluding VAT: %(net)s") % {"net": money(net, order.currency)}), number),
        ]
        document.build(story)
        return buffer.getvalue()
