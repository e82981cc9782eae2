"""The pipeline board's cards, rendered in Python.

A board holds hundreds of cards, each with its own small move form; through
the template language one card cost about 80 µs, which made a 500-card board
the slowest page of the front office. The card's markup is below, in
f-strings: what differs per card is escaped there, what the cards of a column
share (the stage menu, the CSRF field, the labels) is built once per column.
`escape` is the standard library's, which Django's wraps (same output, without
the check for lazy strings on every call).
Change the card here; the board around it is in sales/pipeline.html.
"""

from collections.abc import Callable
from functools import lru_cache
from html import escape

from django import template
from django.middleware.csrf import get_token
from django.urls import get_script_prefix, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
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
def board_cards(context, column: dict, stages) -> SafeString:
    """The <li> cards of one column of selectors.pipeline_board, with a move menu for users who may move them."""
    request = context["request"]
    prefix, language = get_script_prefix(), get_language() or ""
    detail_before, detail_after = _url_parts("sales:opportunity-detail", prefix)
    move_before, move_after = _url_parts("sales:opportunity-move", prefix)
    can_move = request.user.has_perm("sales.change_opportunity")
    if can_move:
        csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
        next_url = escape(request.get_full_path())
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((stage.pk, " selected" if stage.pk == column["stage"].pk else "", stage.name) for stage in stages),
        )
        move = escape(_("Move"))
        move_label = escape(_("Move %(name)s to"))
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
            html.append(
                f"""
          <form class="kanban-move mt-1 d-flex gap-1" method="post" action="{move_url}">{csrf}
            <input type="hidden" name="next" value="{next_url}">
            <label class="visually-hidden" for="move-{pk}">{move_label % {"name": name}}</label>
            <select id="move-{pk}" name="stage" class="form-select form-select-sm">
              {options}
            </select>
            <button class="btn btn-sm btn-outline-secondary" type="submit">{move}</button>
          </form>"""
            )
        html.append("\n        </div>\n      </li>")
    return SafeString("".join(html))
