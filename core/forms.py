"""Form helpers shared by every app."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _


def apply_service_error(form: forms.BaseForm, error) -> None:
    """Show a service's ValidationError on the form: on its field where it names one, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def message_service_error(request: HttpRequest, error: ValidationError) -> None:
    """Show each of a service's error messages as a message on the next page (for actions without a form)."""
    for text in error.messages:
        messages.error(request, text)


def save_form_with_service(
    request: HttpRequest,
    *,
    form: forms.BaseForm,
    save: Callable[[dict[str, Any]], Any],
    template: str,
    context: dict[str, Any],
    success_message: str | None = None,
) -> HttpResponse:
    """The usual edit page: on a valid POST call the service; its errors go back on the form, nothing is lost.

    `save` gets the cleaned data (without the form's own helper fields) and
    returns the saved record, whose page the user is sent to.
    """
    if request.method == "POST" and form.is_valid():
        values = {name: value for name, value in form.cleaned_data.items() if name != "confirm_duplicate"}
        try:
            record = save(values)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            text = success_message or _("Your changes to %(name)s are saved.")
            messages.success(request, text % {"name": record})
            return redirect(record)
    return render(request, template, {"form": form, **context})
