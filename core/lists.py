"""The list page every app uses: search, filters and sort kept in the URL, pagination, htmx updates."""

import json
from typing import Any

from django import forms
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import Count, QuerySet, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import cached_property

PER_PAGE = 25
# Lists count their rows exactly up to this many; past it, counting every row of a big table
# costs more than the rest of the page, so the list says "about N" (the planner's estimate) or
# "more than N" instead.
COUNT_LIMIT = 1000


class ListPage(Page):
    """A page that knows whether a next one exists from its own rows, not from the total."""

    def __init__(self, object_list: list, number: int, paginator: "ListPaginator", has_more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return self.paginator.per_page * (self.number - 1) + 1 if self.object_list else 0

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class ListPaginator(Paginator):
    """Pages of a list that may hold a million rows, for a few cheap queries.

    - A page reads one row more than it shows, so "next" is known exactly
      even when the count is not.
    - The count stops at COUNT_LIMIT + 1 rows. Past that, `count_is_estimate`
      is set and the count is PostgreSQL's estimate of the query's rows when
      the estimate is higher; otherwise `count_is_lower_bound` is set and the
      count is only known to be more than COUNT_LIMIT.
    """

    count_is_estimate = False
    count_is_lower_bound = False

    def __init__(self, object_list, per_page, *, count_from_rows: bool = False, **kwargs) -> None:
        """`count_from_rows`: the page's query also counts every row (a window count), saving the count query.

        Only for lists known to be short (a narrow search): the window makes PostgreSQL read every matching
        row, where a page of a long list stops after its rows. The object list may also be a row source that is
        not a queryset: slicing it reads a page and sets its `counted` (the total), and `count()` counts.
        """
        super().__init__(object_list, per_page, **kwargs)
        self.count_from_rows = count_from_rows
        self._pages: dict[int, ListPage] = {}

    @property
    def count_is_exact(self) -> bool:
        return not (self.count_is_estimate or self.count_is_lower_bound)

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return self.object_list.count()  # a row source (see __init__) counts exactly
        rows = self.object_list.order_by().values("pk")
        counted = rows[: COUNT_LIMIT + 1].count()
        if counted <= COUNT_LIMIT:
            return counted
        estimate = _estimated_rows(rows)
        if estimate > counted:
            self.count_is_estimate = True
            return estimate
        self.count_is_lower_bound = True
        return counted

    def validate_number(self, number: Any) -> int:
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if number == 1 or self.count_from_rows or (self.count and not self.count_is_exact):
            return number  # the rows themselves tell whether the page exists
        return super().validate_number(number)

    def page(self, number: Any) -> ListPage:
        number = self.validate_number(number)
        if number in self._pages:  # read once, also when asked again
            return self._pages[number]
        self._pages[number] = page = self._read_page(number)
        return page

    def _read_page(self, number: int) -> ListPage:
        bottom = (number - 1) * self.per_page
        queryset = self.object_list
        counts_itself = self.count_from_rows and not isinstance(queryset, QuerySet)
        if self.count_from_rows and not counts_itself:
            queryset = queryset.annotate(list_total_rows=Window(Count("*")))
        rows = list(queryset[bottom : bottom + self.per_page + 1])
        if rows and counts_itself:
            self._know_count(queryset.counted)  # a row source that counts in its page's statement
        elif rows and self.count_from_rows:
            first = rows[0]
            self._know_count(first["list_total_rows"] if isinstance(first, dict) else first.list_total_rows)
        elif not rows and number > 1:
            # Past the end of a list whose count was estimated: count exactly, show the last page.
            self._know_count(self.object_list.count())
            return self.page(max(1, self.num_pages))
        has_more = len(rows) > self.per_page
        if not has_more and not self.count_is_exact:
            self._know_count(bottom + len(rows))  # the last page of a long list: now the count is exact
        return ListPage(rows[: self.per_page], number, self, has_more=has_more)

    def _know_count(self, count: int) -> None:
        self.__dict__["count"] = count
        self.__dict__.pop("num_pages", None)
        self.count_is_estimate = self.count_is_lower_bound = False


def _estimated_rows(queryset: QuerySet) -> int:
    """PostgreSQL's estimate of how many rows the query returns (EXPLAIN, nothing is run)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def list_page(
    request: HttpRequest,
    *,
    template: str,
    queryset: QuerySet,
    filter_form: forms.Form,
    context: dict[str, Any] | None = None,
    per_page: int = PER_PAGE,
    count_from_rows: bool = False,
    paginator: ListPaginator | None = None,
) -> HttpResponse:
    """Render a list page; an htmx request (search as you type, sort, page) gets only the results partial.

    `count_from_rows`: the list is known to be short, so its page query counts it too (see ListPaginator).
    `paginator`: one already made (and perhaps already paged: get_page reads its page once).
    """
    if paginator is None:
        paginator = ListPaginator(queryset, per_page, count_from_rows=count_from_rows)
    page = paginator.get_page(request.GET.get("page"))
    is_filtered = any(
        value for name, value in filter_form.cleaned_data.items() if name not in {"sort"} and value not in (None, "")
    )
    page_context = {
        "page": page,
        "rows": page.object_list,
        "filter_form": filter_form,
        "is_filtered": is_filtered,
        "sort": filter_form.cleaned_data.get("sort", ""),
        **(context or {}),
    }
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template = f"{template}#results"
    return render(request, template, page_context)


def cleaned_filters(form: forms.Form) -> dict[str, Any]:
    """Valid filter values; a filter with a bad value is ignored rather than failing the page."""
    form.is_valid()
    return dict(form.cleaned_data)


class FilterForm(forms.Form):
    """Base of list filters: a search box and a sort key; subclasses add their filters."""

    q = forms.CharField(required=False, max_length=100)
    sort = forms.CharField(required=False, max_length=40)
