"""Sign-in for API clients: POST /api/v1/auth/token/ answers a token and its expiry; the owner lists and revokes
their tokens; POST /api/v1/auth/logout/ revokes the token it is called with. Logic in staff.tokens."""

from __future__ import annotations

from django.contrib.auth import logout
from drf_spectacular.utils import extend_schema
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from staff import tokens


class SignInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                help_text="the one-time code (or a recovery code) where two-factor sign-in is on")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="send it as `Authorization: Token <token>`; shown only here")
    expiry = serializers.DateTimeField(help_text="when it stops working")


class TokenListedSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="token_key", help_text="the key's first characters, to revoke it by")

    class Meta:
        model = AuthToken
        fields = ["id", "created", "expiry"]


@extend_schema(request=SignInSerializer, responses={200: TokenSerializer})
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def obtain_token(request: Request) -> Response:
    data = SignInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    key, expiry = tokens.sign_in_for_token(request=request._request, **data.validated_data)
    return Response(TokenSerializer({"token": key, "expiry": expiry}).data)


@extend_schema(request=None, responses={204: None})
@api_view(["POST"])
def sign_out(request: Request) -> Response:
    """Revokes the token this is called with; with a session, ends the session."""
    if isinstance(request.successful_authenticator, TokenAuthentication):
        request.auth.delete()
    else:
        logout(request._request)
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(responses=TokenListedSerializer(many=True))
@api_view(["GET"])
def token_list(request: Request) -> Response:
    return Response(TokenListedSerializer(tokens.tokens_of(request.user), many=True).data)


@extend_schema(request=None, responses={204: None})
@api_view(["DELETE"])
def token_revoke(request: Request, token_id: str) -> Response:
    tokens.revoke_token(user=request.user, token_id=token_id)
    return Response(status=status.HTTP_204_NO_CONTENT)
