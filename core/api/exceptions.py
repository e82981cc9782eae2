"""Turn the errors services raise into API answers a client can act on."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def _validation_error_from_django(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's: {field: [messages]} or {"non_field_errors": [...]}."""
    detail = as_serializer_error(exc)
    if NON_FIELD_ERRORS in detail:
        detail.setdefault(api_settings.NON_FIELD_ERRORS_KEY, [])
        detail[api_settings.NON_FIELD_ERRORS_KEY] += detail.pop(NON_FIELD_ERRORS)
    return exceptions.ValidationError(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, after translating Django's ValidationError and IntegrityError into 400s.

    Services raise django.core.exceptions.ValidationError (ServiceError is
    one) for a business rule; a database constraint that a race slipped past
    raises IntegrityError. Both are the client's problem to fix, never a 500.
    """
    if isinstance(exc, DjangoValidationError):
        exc = _validation_error_from_django(exc)
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError(
            {
                api_settings.NON_FIELD_ERRORS_KEY: [
                    _("The change conflicts with data that already exists; reload and try again.")
                ]
            }
        )
    return drf_exception_handler(exc, context)
