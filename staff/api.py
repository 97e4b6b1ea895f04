"""Staff API for admins: create staff users, deactivate them, manage care-team members.
Writes are staff.services; a refused change is answered by rpm.api_errors, naming the field."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from patients.models import CareTeam
from rpm.errors import NotFound
from rpm.roles import ROLES, IsAdminRole
from staff import services


class StaffInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, help_text="12 characters or more, not a common one")
    role = serializers.ChoiceField(choices=ROLES)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class StaffOutSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    care_teams = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "is_active", "role", "care_teams"]

    def get_role(self, user: User) -> str | None:
        return services.role_of(user)

    def get_care_teams(self, user: User) -> list[int]:
        return [team.id for team in user.care_teams.all()]


class MemberInSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())


@extend_schema(request=StaffInSerializer, responses=StaffOutSerializer)
@api_view(["GET", "POST"])
@permission_classes([IsAdminRole])
def staff_list(request: Request) -> Response:
    if request.method == "GET":
        return Response(StaffOutSerializer(services.staff_users(), many=True).data)
    data = StaffInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    user = services.create_staff_user(**data.validated_data, by=request.user)
    return Response(StaffOutSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses=StaffOutSerializer)
@api_view(["POST"])
@permission_classes([IsAdminRole])
def staff_deactivate(request: Request, user_id: int) -> Response:
    user = get_object_or_404(User, pk=user_id)
    services.deactivate_user(user=user, by=request.user)
    return Response(StaffOutSerializer(user).data)


@extend_schema(request=None, responses=StaffOutSerializer)
@api_view(["POST"])
@permission_classes([IsAdminRole])
def staff_unlock(request: Request, user_id: int) -> Response:
    """Lift the user's lockout after failed sign-ins."""
    user = get_object_or_404(User, pk=user_id)
    services.unlock_sign_in(user=user, by=request.user)
    return Response(StaffOutSerializer(user).data)


@extend_schema(request=MemberInSerializer, responses=StaffOutSerializer)
@api_view(["POST"])
@permission_classes([IsAdminRole])
def care_team_members(request: Request, team_id: int) -> Response:
    team = get_object_or_404(CareTeam, pk=team_id)
    data = MemberInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    user = data.validated_data["user"]
    services.add_to_care_team(user=user, care_team=team, by=request.user)
    return Response(StaffOutSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses={204: None})
@api_view(["DELETE"])
@permission_classes([IsAdminRole])
def care_team_member(request: Request, team_id: int, user_id: int) -> Response:
    team = get_object_or_404(CareTeam, pk=team_id)
    user = get_object_or_404(User, pk=user_id)
    if not services.remove_from_care_team(user=user, care_team=team, by=request.user):
        raise NotFound(f"{user.username} is not on {team.name}", "user")
    return Response(status=status.HTTP_204_NO_CONTENT)
