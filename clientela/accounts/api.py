"""API for the signed-in user, API tokens, and (administrators only) users, departments and roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from clientela.accounts import services
from clientela.accounts.api_auth import actor
from clientela.accounts.capabilities import all_capabilities
from clientela.accounts.choices import Language, Visibility
from clientela.accounts.models import ApiToken, Department, Role, User
from clientela.accounts.queries import (
    capabilities_of,
    departments_list,
    has_capability,
    role_of,
    visibility_of,
)
from clientela.core.events import Via
from clientela.core.exceptions import Forbidden, NotFound, ValidationFailed
from clientela.core.http import OffsetQuery, RecordId, api_errors

accounts_router = Router()


def require_admin(user: User) -> None:
    """Refuse anyone whose role does not manage users."""
    if not has_capability(user, "accounts.manage_users"):
        raise Forbidden(_("Only administrators can manage users and departments."))


class Ref(Schema):
    """A related record: its id and display name."""

    id: int
    name: str


class DepartmentOut(Schema):
    """A department."""

    id: int
    name: str
    parent: int | None
    member_count: int | None = None


class UserOut(Schema):
    """A user account as administrators see it."""

    id: int
    username: str
    first_name: str
    last_name: str
    full_name: str
    email: str
    phone: str
    language: str
    is_active: bool
    role: str | None
    departments: list[Ref]
    last_login: datetime | None
    date_joined: datetime


class MeOut(UserOut):
    """The signed-in user with what their role allows."""

    visibility: str | None
    capabilities: list[str]


class UserPage(Schema):
    """A page of users."""

    items: list[UserOut]
    count: int
    next: str | None


class UserIn(Schema):
    """A new user. Without a password the user cannot sign in until one is set."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(..., max_length=150)
    password: str | None = None
    role: str | None = Field(None, description="Role code, e.g. comercial")
    departments: list[RecordId] = Field(default_factory=list, description="Department ids")
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    language: Language = Language.ES


class UserPatch(Schema):
    """Changes to a user; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    language: Language | None = None
    role: str | None = Field(None, description="Role code, e.g. comercial")
    departments: list[RecordId] | None = Field(
        None, description="Department ids (replaces the set)"
    )
    is_active: bool | None = None


class DepartmentIn(Schema):
    """A new department."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=120)
    parent: RecordId | None = None


class DepartmentPatch(Schema):
    """A department's new name."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=120)


class RoleOut(Schema):
    """A role: what it sees and what it may do."""

    code: str
    name: str
    visibility: str
    capabilities: list[str] = Field(..., description="Codes of the capabilities it grants")


class RolePatch(Schema):
    """Changes to a role; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=80)
    visibility: Visibility | None = None
    capabilities: list[str] | None = Field(
        None, description="Capability codes (replaces the set); see GET /capabilities"
    )


class CapabilityOut(Schema):
    """A registered capability that roles may grant."""

    code: str = Field(..., description="<app>.<verb>, e.g. orders.manage_rates")
    label: str
    group: str
    description: str


class TokenOut(Schema):
    """An API token (its secret is shown only when it is created)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    """A new token with its secret: store it now, it is never shown again."""

    token: str


class TokenIn(Schema):
    """A name to recognise the token by."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=100)


def user_out(user: User) -> dict[str, Any]:
    """Return the API representation of a user (departments must be prefetched)."""
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "full_name": user.get_full_name(),
        "email": user.email,
        "phone": user.phone,
        "language": user.language,
        "is_active": user.is_active,
        "role": user.role.code if user.role else None,
        "departments": [{"id": d.pk, "name": d.name} for d in user.departments.all()],
        "last_login": user.last_login,
        "date_joined": user.date_joined,
    }


def _next_url(request: HttpRequest, offset: int, limit: int, count: int) -> str | None:
    if offset + limit >= count:
        return None
    params = request.GET.copy()
    params["offset"] = str(offset + limit)
    params["limit"] = str(limit)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def _clean_email(email: str | None, errors: dict[str, list[str]]) -> None:
    if email:
        try:
            validate_email(email)
        except DjangoValidationError as exc:
            errors.setdefault("email", []).extend(str(m) for m in exc.messages)


def _role(code: str | None, errors: dict[str, list[str]]) -> Role | None:
    if code is None:
        return None
    role = Role.objects.filter(code=code).first()
    if role is None:
        errors.setdefault("role", []).append(_("Unknown role “%(code)s”.") % {"code": code})
    return role


def _departments(ids: list[int] | None, errors: dict[str, list[str]]) -> list[Department] | None:
    if ids is None:
        return None
    found = list(Department.objects.filter(pk__in=set(ids)))
    missing = sorted(set(ids) - {d.pk for d in found})
    if missing:
        errors.setdefault("departments", []).append(
            _("Unknown department: %(ids)s.") % {"ids": ", ".join(map(str, missing))}
        )
    return found


def _user_page_qs() -> Any:
    return User.objects.select_related("role").prefetch_related("departments").order_by("id")


@accounts_router.get("me", response=MeOut, tags=["me"], summary="The signed-in user")
def me(request: HttpRequest) -> dict[str, Any]:
    """Who the token or session acts as, with the role's scope and capabilities."""
    user = actor(request)
    role_of(user)
    return {
        **user_out(user),
        "visibility": visibility_of(user),
        "capabilities": capabilities_of(user),
    }


@accounts_router.get(
    "users",
    response=UserPage,
    tags=["users"],
    summary="List users",
    openapi_extra=api_errors(403),
)
def list_users(request: HttpRequest, page: Query[OffsetQuery]) -> dict[str, Any]:
    """All users, oldest first (administrators only)."""
    require_admin(actor(request))
    qs = _user_page_qs()
    count = qs.count()
    users = list(qs[page.offset : page.offset + page.limit])
    return {
        "items": [user_out(u) for u in users],
        "count": count,
        "next": _next_url(request, page.offset, page.limit, count),
    }


@accounts_router.post("users", response={201: UserOut}, tags=["users"], summary="Create a user")
def create_user(request: HttpRequest, payload: UserIn) -> Status[dict[str, Any]]:
    """Create a user with a role and departments (administrators only)."""
    user = actor(request)
    require_admin(user)
    errors: dict[str, list[str]] = {}
    _clean_email(payload.email, errors)
    role = _role(payload.role, errors)
    departments = _departments(payload.departments, errors) or []
    if errors:
        raise ValidationFailed(errors)
    created = services.create_user(
        actor=user,
        username=payload.username,
        password=payload.password,
        role=role,
        departments=departments,
        via=Via.API,
        first_name=payload.first_name,
        last_name=payload.last_name,
        email=payload.email,
        phone=payload.phone,
        language=payload.language.value,
    )
    return Status(201, user_out(_user_page_qs().get(pk=created.pk)))


@accounts_router.get(
    "users/{user_id}",
    response=UserOut,
    tags=["users"],
    summary="Get a user",
    openapi_extra=api_errors(403),
)
def get_user(request: HttpRequest, user_id: RecordId) -> dict[str, Any]:
    """One user (administrators only)."""
    return user_out(services.get_user_for_admin(actor(request), user_id))


@accounts_router.patch("users/{user_id}", response=UserOut, tags=["users"], summary="Change a user")
def update_user(request: HttpRequest, user_id: RecordId, payload: UserPatch) -> dict[str, Any]:
    """Change names, e-mail, language, role, departments or the active flag (administrators only).

    Deactivating a user revokes their API tokens.
    """
    user = actor(request)
    target = services.get_user_for_admin(user, user_id)
    data = payload.dict(exclude_unset=True)
    errors: dict[str, list[str]] = {}
    _clean_email(data.get("email"), errors)
    role = _role(data.pop("role", None), errors)
    departments = _departments(data.pop("departments", None), errors)
    if errors:
        raise ValidationFailed(errors)
    if isinstance(data.get("language"), Language):
        data["language"] = data["language"].value
    services.update_user(
        target,
        actor=user,
        role=role,
        departments=departments,
        is_active=data.pop("is_active", None),
        via=Via.API,
        **data,
    )
    return user_out(services.get_user_for_admin(user, user_id))


@accounts_router.get(
    "departments",
    response=list[DepartmentOut],
    tags=["departments"],
    summary="List departments",
    openapi_extra=api_errors(403),
)
def list_departments(request: HttpRequest) -> list[dict[str, Any]]:
    """Every department with its member count (administrators only)."""
    require_admin(actor(request))
    return [
        {
            "id": d.pk,
            "name": d.name,
            "parent": d.parent_id,
            "member_count": d.member_count,  # type: ignore[attr-defined]
        }
        for d in departments_list()
    ]


def _department(user: User, department_id: RecordId) -> Department:
    require_admin(user)
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise NotFound(_("Department not found."))
    return department


def _department_out(department: Department) -> dict[str, Any]:
    return {"id": department.pk, "name": department.name, "parent": department.parent_id}


@accounts_router.post(
    "departments",
    response={201: DepartmentOut},
    tags=["departments"],
    summary="Create a department",
)
def create_department(request: HttpRequest, payload: DepartmentIn) -> Status[dict[str, Any]]:
    """Create a department, optionally under a parent (administrators only)."""
    user = actor(request)
    require_admin(user)
    parent = None
    if payload.parent is not None:
        parent = Department.objects.filter(pk=payload.parent).first()
        if parent is None:
            raise ValidationFailed({"parent": _("Department not found.")})
    department = services.create_department(
        actor=user, name=payload.name, parent=parent, via=Via.API
    )
    return Status(201, {**_department_out(department), "member_count": 0})


@accounts_router.patch(
    "departments/{department_id}",
    response=DepartmentOut,
    tags=["departments"],
    summary="Rename a department",
)
def update_department(
    request: HttpRequest, department_id: RecordId, payload: DepartmentPatch
) -> dict[str, Any]:
    """Rename a department (administrators only)."""
    user = actor(request)
    department = services.update_department(
        _department(user, department_id), actor=user, name=payload.name, via=Via.API
    )
    return _department_out(department)


@accounts_router.delete(
    "departments/{department_id}",
    response={204: None},
    tags=["departments"],
    summary="Delete a department",
)
def delete_department(request: HttpRequest, department_id: RecordId) -> Status[None]:
    """Delete a department without members (administrators only)."""
    user = actor(request)
    services.delete_department(_department(user, department_id), actor=user, via=Via.API)
    return Status(204, None)


def _role_out(role: Role) -> dict[str, Any]:
    return {
        "code": role.code,
        "name": str(role),
        "visibility": role.visibility,
        "capabilities": list(role.capabilities),
    }


@accounts_router.get(
    "capabilities",
    response=list[CapabilityOut],
    tags=["roles"],
    summary="List capabilities",
    openapi_extra=api_errors(403),
)
def list_capabilities(request: HttpRequest) -> list[dict[str, Any]]:
    """Every capability a role may grant, labelled in the request's language (administrators)."""
    require_admin(actor(request))
    return [
        {
            "code": c.code,
            "label": str(c.label),
            "group": str(c.group),
            "description": str(c.description),
        }
        for c in all_capabilities()
    ]


@accounts_router.get(
    "roles",
    response=list[RoleOut],
    tags=["roles"],
    summary="List roles",
    openapi_extra=api_errors(403),
)
def list_roles(request: HttpRequest) -> list[dict[str, Any]]:
    """Every role with its scope and capabilities (administrators only)."""
    require_admin(actor(request))
    return [_role_out(role) for role in Role.objects.order_by("id")]


@accounts_router.patch("roles/{code}", response=RoleOut, tags=["roles"], summary="Change a role")
def update_role(request: HttpRequest, code: str, payload: RolePatch) -> dict[str, Any]:
    """Change a role's name, record visibility or capabilities (administrators only)."""
    user = actor(request)
    require_admin(user)
    role = Role.objects.filter(code=code).first()
    if role is None:
        raise NotFound(_("Role not found."))
    flags = payload.dict(exclude_unset=True)
    if isinstance(flags.get("visibility"), Visibility):
        flags["visibility"] = flags["visibility"].value
    return _role_out(services.update_role(role, actor=user, via=Via.API, **flags))


def _token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@accounts_router.get("tokens", response=list[TokenOut], tags=["tokens"], summary="My API tokens")
def list_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    """Return the signed-in user's own tokens, newest first, revoked ones included."""
    return [_token_out(t) for t in ApiToken.objects.filter(user=actor(request))]


@accounts_router.post(
    "tokens", response={201: TokenCreated}, tags=["tokens"], summary="Create an API token"
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    """Issue a token for yourself; the secret is in the answer and never shown again."""
    user = actor(request)
    token, raw = services.create_token(user, actor=user, name=payload.name, via=Via.API)
    return Status(201, {**_token_out(token), "token": raw})


@accounts_router.delete(
    "tokens/{token_id}", response={204: None}, tags=["tokens"], summary="Revoke an API token"
)
def revoke_token(request: HttpRequest, token_id: RecordId) -> Status[None]:
    """Revoke one of your own tokens: it stops working at once."""
    user = actor(request)
    token = ApiToken.objects.filter(user=user, pk=token_id).select_related("user").first()
    if token is None:
        raise NotFound(_("Token not found."))
    services.revoke_token(token, actor=user, via=Via.API)
    return Status(204, None)
