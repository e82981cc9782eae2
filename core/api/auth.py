"""Tokens for programs: POST an e-mail and a password, get a token for the Authorization header."""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from core.accounts.models import User
from core.accounts.selectors import user_must_set_up_mfa

WRONG_CREDENTIALS = _("Unable to sign in with the given e-mail address and password.")


def _has_verified_email(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def _mfa_code_is_valid(user: User, code: str) -> bool:
    """True when `code` is a current TOTP code or an unused recovery code of the user."""
    # WebAuthn keys cannot check a typed code.
    for authenticator in Authenticator.objects.filter(user=user).exclude(type=Authenticator.Type.WEBAUTHN):
        if authenticator.wrap().validate_code(code):
            return True
    return False


class TokenObtainSerializer(serializers.Serializer):
    """The sign-in of a program; `code` only for accounts with two-factor sign-in."""

    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("The code from the authenticator app (or a recovery code), when two-factor sign-in is on."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = authenticate(
            request=self.context.get("request"),
            email=attrs["email"].strip().lower(),
            password=attrs["password"],
        )
        # One answer for an unknown address, a wrong password, an inactive
        # login and an unverified address: the caller learns nothing about
        # which accounts exist.
        if user is None or not user.is_active or not _has_verified_email(user):
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [WRONG_CREDENTIALS]})
        if user_must_set_up_mfa(user=user):
            raise serializers.ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY: [
                        _("Your department requires two-factor sign-in: set it up in Kontor first.")
                    ]
                }
            )
        if is_mfa_enabled(user):
            code = attrs.get("code", "").strip()
            if not code:
                raise serializers.ValidationError({"code": [_("Give the code from your authenticator app.")]})
            if not _mfa_code_is_valid(user, code):
                raise serializers.ValidationError({"code": [_("Incorrect code.")]})
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text=_("Send it as `Authorization: Token <token>`."))


class TokenEmailRateThrottle(SimpleRateThrottle):
    """The same limit as per address, counted per e-mail address asked for.

    Guessing one account's password from many addresses is then as slow as
    from one.
    """

    scope = "auth_token"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        return self.cache_format % {"scope": f"{self.scope}_email", "ident": email.strip().lower()}


class ObtainTokenView(APIView):
    """Give a program a token for the user it signs in as (created on first use)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle, TokenEmailRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        operation_id="auth_token_create",
        summary="Obtain an API token",
        description=(
            "Exchange the e-mail address and password of an active user with a verified e-mail "
            "address for a token. Staff endpoints still refuse customers. Limited to 10 attempts "
            "a minute per client address and per e-mail address."
        ),
        auth=[],
        request=TokenObtainSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                response=inline_serializer(
                    name="TokenError",
                    fields={
                        "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False),
                        "email": serializers.ListField(child=serializers.CharField(), required=False),
                        "password": serializers.ListField(child=serializers.CharField(), required=False),
                        "code": serializers.ListField(child=serializers.CharField(), required=False),
                    },
                ),
                description="Wrong credentials, or a missing or wrong two-factor code.",
                examples=[
                    OpenApiExample("Wrong credentials", value={"non_field_errors": [str(WRONG_CREDENTIALS)]}),
                ],
            ),
            429: OpenApiResponse(description="Too many attempts; try again later."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response(TokenSerializer({"token": token.key}).data, status=status.HTTP_200_OK)
