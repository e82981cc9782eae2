"""What every priced document's PDF shares (quotes, orders, invoices): the table of its lines."""

from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

from core.templatetags.kontor import money, plain


def lines_table(
    lines: Iterable[tuple[str, Any]], *, currency: str, text: ParagraphStyle, number: ParagraphStyle
) -> Table:
    """The lines as a table; each item is (article number or "", line with description, quantity, unit_price,
    discount_percent, tax_rate and net_amount)."""
    rows = [[_("Description"), _("Quantity"), _("Unit price"), _("Discount"), _("VAT"), _("Amount")]]
    for sku, line in lines:
        description = escape(line.description)
        if sku:
            description = f"{escape(sku)} · {description}"
        rows.append(
            [
                Paragraph(description, text),
                Paragraph(plain(line.quantity), number),
                Paragraph(money(line.unit_price, currency), number),
                Paragraph(f"{plain(line.discount_percent)} %" if line.discount_percent else "", number),
                Paragraph(f"{plain(line.tax_rate)} %", number),
                Paragraph(money(line.net_amount, currency), number),
            ]
        )
    return Table(
        rows,
        colWidths=[70 * mm, 20 * mm, 26 * mm, 18 * mm, 14 * mm, 26 * mm],
        repeatRows=1,
        style=TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, 0), 8.5),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("ALIGN", (1, 0), (-1, 0), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        ),
    )
