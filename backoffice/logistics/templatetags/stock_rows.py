"""The stock overview's table rows, rendered in Python.

The overview shows 25 (product, warehouse) rows a page; through the template language ({% url %}, three
floatformat filters and two comparisons a row) the rows were a fifth of the page's time. The markup is below,
the same as the template's was (tests/stock_rows_template.html keeps it, a test compares the two); what differs
per row is escaped. Change the row here; the table around it is in logistics/stock_overview.html.
"""

from decimal import Decimal
from functools import lru_cache
from html import escape

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

register = template.Library()


@lru_cache(maxsize=4096)
def _quantity(value: Decimal, language: str) -> str:
    """floatformat:"-3" (the value's own digits decide, so equal values share an entry; stock repeats a few
    quantities a lot). The language is in the key because the decimal mark is the language's."""
    return str(floatformat(value, "-3"))


@register.simple_tag
def stock_rows(rows, low_below: Decimal) -> SafeString:
    """The <tr> rows of the stock overview for these rows of selectors.stock_overview (dicts)."""
    language = get_language() or ""
    low = f' <span class="badge text-bg-warning">{escape(gettext("Low"))}</span>'
    # One reverse() for the rows' links: the URL of product 0 with the pk put in its place.
    head, tail = reverse("logistics:product-stock", args=[0]).rsplit("/0/", 1)
    html = []
    for row in rows:
        available = row["available"]
        is_low = available < low_below
        html.append(
            f"""
      <tr{' class="table-warning" data-low="1"' if is_low else ""}>
        <td class="text-nowrap"><a class="fw-medium" href="{escape(f"{head}/{row['product_id']}/{tail}")}">\
{escape(row["product__sku"])}</a></td>
        <td>{escape(row["product__name"])}</td>
        <td>{escape(row["warehouse__code"])}</td>
        <td class="text-end">{_quantity(row["on_hand"], language)}</td>
        <td class="text-end">{_quantity(row["reserved_total"], language)}</td>
        <td class="text-end fw-medium">{_quantity(available, language)}{low if is_low else ""}</td>
      </tr>"""
        )
    return SafeString("".join(html))
