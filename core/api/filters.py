"""Filter pieces shared by every API list: strict booleans and a stable ordering."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework.filters import OrderingFilter, SearchFilter

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class StrictBooleanField(forms.Field):
    """A yes/no query parameter that refuses what it does not understand.

    django-filter's own boolean widget turns `?is_active=maybe` into "no
    filter", which silently answers a different question than the one asked.
    """

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Enter true or false.")}

    def to_python(self, value: Any) -> bool | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    """A BooleanFilter that answers 400 to anything but true/false/1/0/yes/no."""

    field_class = StrictBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class StableOrderingFilter(OrderingFilter):
    """OrderingFilter that always ends with the primary key.

    Without a unique last key, rows with equal values may swap places between
    two page requests, and a client paging through the list would see one row
    twice and miss another.
    """

    def get_ordering(self, request: "Request", queryset: QuerySet, view: "APIView") -> list[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        ordering = list(ordering)
        if not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering.append("pk")
        return ordering


# The backends every staff list uses: django-filter FilterSets, ?search= and ?ordering=.
FILTER_BACKENDS = [filters.DjangoFilterBackend, SearchFilter, StableOrderingFilter]
