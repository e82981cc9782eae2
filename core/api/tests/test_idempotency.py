"""Idempotency-Key: a replay returns the first response and does nothing; a different body with the key is 422."""

import threading
import time

import pytest
from django.db import connections
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.api.idempotency import idempotent
from core.parties.models import Organization


class MakeOrganization(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):
        def work():
            if not request.data.get("name"):
                return Response({"name": ["Required."]}, status=400)
            time.sleep(float(request.data.get("pause", 0)))
            organization = Organization.objects.create(name=request.data["name"])
            return Response({"id": organization.pk, "name": organization.name}, status=201)

        return idempotent(request, work)


urlpatterns = [path("make/", MakeOrganization.as_view())]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.mark.django_db
def test_a_replay_returns_the_first_response_and_creates_nothing(api):
    first = api.post("/make/", {"name": "Once AB"}, format="json", headers={"Idempotency-Key": "k-1"})
    again = api.post("/make/", {"name": "Once AB"}, format="json", headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Organization.objects.filter(name="Once AB").count() == 1
    other = api.post("/make/", {"name": "Once AB"}, format="json", headers={"Idempotency-Key": "k-2"})
    assert other.json()["id"] != first.json()["id"]


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_with_422(api):
    api.post("/make/", {"name": "First AB"}, format="json", headers={"Idempotency-Key": "k-3"})
    response = api.post("/make/", {"name": "Second AB"}, format="json", headers={"Idempotency-Key": "k-3"})
    assert response.status_code == 422
    assert not Organization.objects.filter(name="Second AB").exists()


@pytest.mark.django_db
def test_errors_are_not_remembered_and_no_key_means_no_memory(api):
    assert api.post("/make/", {}, format="json", headers={"Idempotency-Key": "k-4"}).status_code == 400
    assert (
        api.post("/make/", {"name": "Fixed AB"}, format="json", headers={"Idempotency-Key": "k-4"}).status_code
        == 201  # the failed try left nothing: the key now does the corrected work
    )
    assert api.post("/make/", {"name": "Free AB"}, format="json").status_code == 201
    assert api.post("/make/", {"name": "Free AB"}, format="json").status_code == 201
    assert Organization.objects.filter(name="Free AB").count() == 2
    too_long = api.post("/make/", {"name": "X"}, format="json", headers={"Idempotency-Key": "k" * 300})
    assert too_long.status_code == 400 and "Idempotency-Key" in too_long.json()


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_do_the_work_once(admin_user):
    responses = []

    def send():
        client = APIClient()
        client.force_authenticate(admin_user)
        try:
            responses.append(
                client.post(
                    "/make/", {"name": "Race AB", "pause": 0.5}, format="json", headers={"Idempotency-Key": "race"}
                )
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(response.status_code for response in responses) == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert Organization.objects.filter(name="Race AB").count() == 1
