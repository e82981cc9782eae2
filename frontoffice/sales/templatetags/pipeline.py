"""The pipeline board's cards, rendered in Python.

A board holds hundreds of cards, each with its own small move form; through
the template language one card cost about 80 µs, which made a 500-card board
the slowest page of the front office. The card's markup is below, in
f-strings: what differs per card is escaped there, what the cards of a column
share is built once per column. The stage menu is not in the cards: the board
has one (sales/pipeline.html), which each card's "Move" opens (static/js/kontor.js).
`escape` is the standard library's, which Django's wraps (same output, without
the check for lazy strings on every call).
Change the card here; the board around it is in sales/pipeline.html.
"""

from collections.abc import Callable
from functools import lru_cache
from html import escape

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.templatetags.kontor import money_formatter

register = template.Library()


@lru_cache(maxsize=32)
def _url_parts(url_name: str, script_prefix: str) -> tuple[str, str]:
    """What comes before and after the pk in a URL that takes one int: reverse() once, not per card."""
    marker = "987654321"
    before, found, after = reverse(url_name, args=[int(marker)]).partition(marker)
    if not found or marker in after:
        raise ValueError(f"{url_name} does not take a single int")
    return before, after


@lru_cache(maxsize=1024)
def _short_date(value, language: str) -> str:
    return escape(date_format(value, "SHORT_DATE_FORMAT"))


@register.simple_tag(takes_context=True)
def board_cards(context, column: dict) -> SafeString:
    """The <li> cards of one column of selectors.pipeline_board, with a "Move" for users who may move them."""
    request = context["request"]
    prefix, language = get_script_prefix(), get_language() or ""
    detail_before, detail_after = _url_parts("sales:opportunity-detail", prefix)
    move_before, move_after = _url_parts("sales:opportunity-move", prefix)
    can_move = request.user.has_perm("sales.change_opportunity")
    if can_move:
        move = escape(_("Move"))
    draggable = "true" if can_move else "false"
    formatters: dict[str, Callable] = {}
    html = []
    for card in column["cards"]:
        pk = card.pk
        name = escape(card.name)
        move_url = f"{move_before}{pk}{move_after}"
        format_amount = formatters.get(card.currency_id) or formatters.setdefault(
            card.currency_id, money_formatter(card.currency_id)
        )
        close = _short_date(card.expected_close, language) if card.expected_close else ""
        html.append(
            f"""
      <li class="kanban-card card mb-2" draggable="{draggable}" data-move-url="{move_url}" id="opportunity-{pk}">
        <div class="card-body p-2">
          <a class="fw-medium d-block" href="{detail_before}{pk}{detail_after}">{name}</a>
          <div class="small text-body-secondary">{escape(card.account_name)}</div>
          <div class="d-flex justify-content-between small mt-1">\
<span class="money">{escape(format_amount(card.amount))}</span><span>{close}</span></div>"""
        )
        if can_move:
            # The shared move menu of the board (sales/pipeline.html) opens here; without JavaScript the
            # link leads to the deal's own move form.
            html.append(
                f"""
          <a class="btn btn-sm btn-outline-secondary mt-1 kanban-move" href="{detail_before}{pk}{detail_after}#move" \
data-move-menu>{move}<span class="visually-hidden"> {name}</span></a>"""
            )
        html.append("\n        </div>\n      </li>")
    return SafeString("".join(html))
