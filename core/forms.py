"""Form helpers shared by every app."""

from django import forms


def apply_service_error(form: forms.BaseForm, error) -> None:
    """Show a service's ValidationError on the form: on its field where it names one, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
