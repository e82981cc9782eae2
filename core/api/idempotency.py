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

from django.db import IntegrityError, transaction
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
    stored = IdempotentRequest.objects.filter(user=request.user, key=key).first()
    if stored is not None:
        return _replay(stored, fingerprint)
    try:
        with transaction.atomic():
            # A second request with the key waits here (unique index) until this transaction ends.
            row = IdempotentRequest.objects.create(user=request.user, key=key, fingerprint=fingerprint)
            response = work()
            if response.status_code >= 400:
                transaction.set_rollback(True)  # an error is not remembered: the client may retry
                return response
            row.status_code, row.response = response.status_code, json.loads(json.dumps(response.data, default=str))
            row.save(update_fields=["status_code", "response"])
            return response
    except IntegrityError:
        stored = IdempotentRequest.objects.filter(user=request.user, key=key).first()
        if stored is None:
            raise
        return _replay(stored, fingerprint)
