"""Reads about users and the one place where record visibility is decided."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from clientela.accounts.capabilities import all_capabilities, get_capability
from clientela.accounts.choices import Visibility
from clientela.accounts.models import ApiToken, Department, Role, User
from clientela.core.compiled import CompiledQuery


def role_of(user: User | AnonymousUser | None) -> Role | None:
    """Return the user's role, cached on the instance for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not hasattr(user, "_clientela_role"):
        user._clientela_role = (
            Role.objects.filter(pk=user.role_id).first() if user.role_id else None
        )
    return user._clientela_role


def visibility_of(user: User | AnonymousUser | None) -> str | None:
    """Return the user's record scope (own / department / all); None when they see nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Visibility.ALL
    role = role_of(user)
    return role.visibility if role else Visibility.OWN


def has_capability(user: User | AnonymousUser | None, code: str) -> bool:
    """Whether the user may do what the registered capability `code` names.

    The one permission check for actions. An unregistered code raises UnknownCapability, so a
    typo fails in the tests instead of silently refusing. Superusers have every capability;
    inactive and anonymous users none.
    """
    get_capability(code)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    role = role_of(user)
    return bool(role and code in role.capabilities)


def capabilities_of(user: User | AnonymousUser | None) -> list[str]:
    """Return the registered capability codes the user has, in registration order."""
    return [c.code for c in all_capabilities() if has_capability(user, c.code)]


def users_with_capability(code: str) -> QuerySet[User]:
    """Active users who have the capability (superusers, or through their role)."""
    get_capability(code)
    role_ids = [role.pk for role in Role.objects.all() if code in role.capabilities]
    return User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(role__in=role_ids))


def department_colleague_ids(user: User) -> list[int]:
    """Ids of the users sharing at least one department with `user` (including the user)."""
    cached: list[int] | None = getattr(user, "_clientela_colleagues", None)
    if cached is None:
        cached = sorted(
            set(
                User.objects.filter(departments__in=user.departments.all()).values_list(
                    "id", flat=True
                )
            )
            | {user.id}
        )
        user._clientela_colleagues = cached
    return cached


def owner_scope(user: User | AnonymousUser | None, owner_field: str = "owner") -> Q | None:
    """Return a filter on owner keeping the records `user` may see; None means all records."""
    scope = visibility_of(user)
    if scope == Visibility.ALL:
        return None
    if scope is None or user is None or not user.is_authenticated:
        return Q(pk__in=[])
    if scope == Visibility.DEPARTMENT:
        return Q(**{f"{owner_field}_id__in": department_colleague_ids(user)})
    return Q(**{f"{owner_field}_id": user.id})


def may_see_owner(user: User | AnonymousUser | None, owner_id: int | None) -> bool:
    """Whether `user` may see a record owned by `owner_id`: owner_scope's rule, for one row.

    For reads that fetch a single row by its key and check it afterwards (the API's hot
    detail query); tests hold it equal to owner_scope for every role.
    """
    scope = visibility_of(user)
    if scope == Visibility.ALL:
        return True
    if scope is None or owner_id is None or user is None or not user.is_authenticated:
        return False
    if scope == Visibility.DEPARTMENT:
        return owner_id in department_colleague_ids(user)
    return bool(owner_id == user.id)


def users_visible_to(user: User | AnonymousUser | None) -> QuerySet[User]:
    """Users the given user may see (everyone active in the company: names appear on records)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return User.objects.none()
    return User.objects.all()


def assignable_owners(user: User | AnonymousUser | None) -> QuerySet[User]:
    """Users that `user` may assign records to."""
    scope = visibility_of(user)
    qs = User.objects.filter(is_active=True)
    if scope == Visibility.ALL:
        return qs
    if scope is None or user is None or not user.is_authenticated:
        return qs.none()
    if scope == Visibility.DEPARTMENT:
        return qs.filter(id__in=department_colleague_ids(user))
    return qs.filter(id=user.id)


def departments_list() -> QuerySet[Department]:
    """All departments with their member counts."""
    from django.db.models import Count

    return Department.objects.annotate(member_count=Count("members")).order_by("name")


def _concrete(model: Any) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


_TOKEN_FIELDS = _concrete(ApiToken)
_USER_FIELDS = _concrete(User)
_ROLE_FIELDS = _concrete(Role)
# Every API request authenticates: the token, its user and the user's role in one query
# compiled once per process (see core.compiled), instead of an ORM compilation per request.
_ACTIVE_TOKEN = CompiledQuery(
    lambda token_hash: (
        ApiToken.objects.filter(
            token_hash=token_hash, revoked_at__isnull=True, user__is_active=True
        )
        .order_by()
        .values_list(
            *_TOKEN_FIELDS,
            *(f"user__{name}" for name in _USER_FIELDS),
            *(f"user__role__{name}" for name in _ROLE_FIELDS),
        )[:1]
    ),
    [str],
)


def active_token(raw: str) -> ApiToken | None:
    """Return the active token matching a raw bearer string, with its user and the user's role."""
    from clientela.accounts.models import hash_token

    row = _ACTIVE_TOKEN.first(hash_token(raw))
    if row is None:
        return None
    ends = (len(_TOKEN_FIELDS), len(_TOKEN_FIELDS) + len(_USER_FIELDS))
    token = ApiToken.from_db("default", _TOKEN_FIELDS, row[: ends[0]])
    user = User.from_db("default", _USER_FIELDS, row[ends[0] : ends[1]])
    role_values = row[ends[1] :]
    role = (
        Role.from_db("default", _ROLE_FIELDS, role_values) if role_values[0] is not None else None
    )
    if role is not None:
        user.role = role
    user._clientela_role = role
    token.user = user
    return token


def default_command_actor() -> User | None:
    """Return the user a command acts as without `--as`: the first active administrator.

    An administrator is a superuser, or a user whose role manages users.
    """
    return users_with_capability("accounts.manage_users").order_by("id").first()
