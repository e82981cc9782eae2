"""Errors that services raise for a user to read."""

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    """A business rule refused the change; the message is meant for the user.

    It is a ValidationError so that forms show it and the API answers 400.
    """
