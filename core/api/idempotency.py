"""Idempotency-Key for API requests that move money, as payment APIs have it.

    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        return idempotent(request, lambda: Response(...))

- No header: the work simply runs.
- First request with a key: the work runs in a transaction that also stores its response under (user, key).
- The same key again, same request: the stored response is returned (header `Idempotent-Replayed: true`),
  nothing runs. Two at once: the second waits on the first's row (the unique index) and then gets its answer.
- The same key with a different request (method, path or body): 422, nothing runs.
- When the work fails with an error, nothing is stored: the client may try again with the same key.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request: Request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except TypeError:
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(stored: IdempotentRequest, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        return Response(
            {"detail": "This Idempotency-Key was used for a different request; use a new key for a new request."},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if stored.status_code is None:  # cannot happen inside one transaction; kept for safety
        return Response({"detail": "A request with this Idempotency-Key is still running."}, status=409)
    response = Response(stored.response, status=stored.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request: Request, work: Callable[[], Response]) -> Response:
    """Run `work` once per Idempotency-Key (see the module's docstring)."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return work()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError({HEADER: f"At most {MAX_KEY_LENGTH} characters."})
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        # One statement claims the key. A second request with it waits here (unique index) until the first
        # one's transaction ends, then finds the row (claimed nothing) or, if the first rolled back, claims it.
        claimed = _claim(request.user.pk, key, fingerprint)
        if claimed is not None:
            response = work()
            if response.status_code >= 400:
                transaction.set_rollback(True)  # an error is not remembered: the client may retry
                return response
            stored_response = json.loads(json.dumps(response.data, default=str))
            IdempotentRequest.objects.filter(pk=claimed).update(
                status_code=response.status_code, response=stored_response
            )
            return response
    stored = IdempotentRequest.objects.filter(user=request.user, key=key).first()
    if stored is None:  # claimed by a request that rolled back after this one looked: the client may retry
        return Response({"detail": "A request with this Idempotency-Key is still running."}, status=409)
    return _replay(stored, fingerprint)


def _claim(user_id: int, key: str, fingerprint: str) -> int | None:
    """The new row's id, or None when the key is already taken (by a committed request)."""
    table = IdempotentRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (user_id, key, fingerprint, created_at) VALUES (%s, %s, %s, %s)
            ON CONFLICT (user_id, key) DO NOTHING RETURNING id
            """,
            [user_id, key, fingerprint, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None
