"""The API's exception handler: service errors and database conflicts are 400s, never 500s."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from rest_framework.exceptions import NotFound

from core.api.exceptions import exception_handler
from core.exceptions import ServiceError


def test_a_service_error_naming_fields_keeps_the_names():
    response = exception_handler(ServiceError({"email": "Taken.", "name": ["Too short.", "Too odd."]}), {})

    assert response.status_code == 400
    assert response.data == {"email": ["Taken."], "name": ["Too short.", "Too odd."]}


def test_a_plain_service_error_is_a_non_field_error():
    response = exception_handler(ServiceError("Only a draft invoice can be issued."), {})

    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Only a draft invoice can be issued."]}


def test_errors_of_the_whole_record_are_non_field_errors():
    error = ValidationError({"__all__": ["Constraint violated."], "name": ["Required."]})

    response = exception_handler(error, {})

    assert response.status_code == 400
    assert response.data == {"name": ["Required."], "non_field_errors": ["Constraint violated."]}


def test_a_message_with_parameters_is_filled_in():
    error = ValidationError("At most %(limit)s.", params={"limit": 3})

    response = exception_handler(error, {})

    assert response.data == {"non_field_errors": ["At most 3."]}


def test_an_integrity_error_is_a_400_without_database_details():
    error = IntegrityError('duplicate key value violates unique constraint "catalog_product_sku_key"')

    response = exception_handler(error, {})

    assert response.status_code == 400
    assert response.data == {
        "non_field_errors": ["The change conflicts with data that already exists; reload and try again."]
    }


def test_other_errors_go_to_drf():
    assert exception_handler(NotFound(), {}).status_code == 404
    assert exception_handler(KeyError("x"), {}) is None
