"""Form widgets that stay fast however many rows a table holds."""

from django import forms
from django.urls import reverse


class AutocompleteSelect(forms.Widget):
    """Choose one record by typing: a search box that asks the server (htmx) for the best matches.

    Unlike a <select>, it never loads the whole table, so it works with a
    million organizations. The chosen primary key travels in a hidden input.
    """

    template_name = "includes/autocomplete.html"

    def __init__(self, url_name: str, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.url_name = url_name
        self.choices = None  # set by ModelChoiceField; only its queryset is used

    def get_context(self, name: str, value, attrs) -> dict:
        context = super().get_context(name, value, attrs)
        label = ""
        if value not in (None, "") and self.choices is not None:
            selected = self.choices.queryset.filter(pk=value).first()
            label = str(selected) if selected else ""
        context["widget"].update({"url": reverse(self.url_name), "label": label})
        return context

    def value_from_datadict(self, data, files, name: str):
        return data.get(name) or None
