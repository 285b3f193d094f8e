"""Administration screens: users, departments and roles.

Only users whose role may manage users reach these views; everyone else gets a 404 so the
addresses stay undiscoverable (see `admin_only`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from clientela.accounts import services
from clientela.accounts.capabilities import capability_groups
from clientela.accounts.forms import (
    DepartmentForm,
    PasswordResetForm,
    RoleForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
    add_service_errors,
)
from clientela.accounts.models import ApiToken, Department, Role, User
from clientela.accounts.queries import departments_list
from clientela.accounts.views.access import admin_only
from clientela.core.exceptions import Forbidden, NotFound, ValidationFailed
from clientela.core.http import wants_partial
from clientela.core.users import AuthenticatedHttpRequest

USERS_PER_PAGE = 50


def _users_matching(text: str) -> QuerySet[User]:
    """Users for the admin list, searched by name, username or e-mail."""
    qs = User.objects.select_related("role").prefetch_related("departments")
    for word in text.split():
        qs = qs.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
        )
    return qs.order_by("-is_active", "first_name", "last_name", "username")


@admin_only
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All users with their role, departments, state and last sign-in; searchable."""
    filters = UserFilterForm(request.GET)
    text = filters.cleaned_data["q"] if filters.is_valid() else ""
    page = Paginator(_users_matching(text), USERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"filters": filters, "page": page, "q": text}
    template = "accounts/user_list.html"
    if wants_partial(request):
        template += "#results"
    return render(request, template, context)


@sensitive_post_parameters("password")
@admin_only
def user_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a user with a role, departments, language and an initial password."""
    form = UserCreateForm(request.POST or None, initial={"language": "es"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                role=data["role"],
                departments=data["departments"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                language=data["language"],
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("User %(name)s was created.") % {"name": user})
            return redirect("accounts:user_edit", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


def _person(request: AuthenticatedHttpRequest, user_id: int) -> User:
    try:
        return services.get_user_for_admin(request.user, user_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc


def _user_initial(person: User) -> dict[str, Any]:
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "role": person.role_id,
        "departments": list(person.departments.all()),
        "language": person.language,
        "is_active": person.is_active,
    }


@admin_only
def user_edit(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Change a user's profile, role, departments and active flag."""
    person = _person(request, user_id)
    form = UserEditForm(request.POST or None, initial=_user_initial(person))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_user(
                person,
                actor=request.user,
                role=data["role"],
                departments=data["departments"],
                is_active=data["is_active"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                language=data["language"],
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("accounts:user_edit", user_id=person.pk)
    return _render_user_edit(request, person, form=form)


def _render_user_edit(
    request: AuthenticatedHttpRequest, person: User, *, form: Any, password_form: Any = None
) -> HttpResponse:
    context = {
        "person": person,
        "form": form,
        "password_form": password_form or PasswordResetForm(),
        "tokens": ApiToken.objects.filter(user=person, revoked_at__isnull=True),
        "creating": False,
    }
    return render(request, "accounts/user_form.html", context)


@sensitive_post_parameters("new_password")
@admin_only
@require_POST
def user_password(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Set a new password for a user; their sessions end."""
    person = _person(request, user_id)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            services.change_password(
                person, actor=request.user, new_password=form.cleaned_data["new_password"]
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            if person.pk == request.user.pk:
                update_session_auth_hash(request, person)
            messages.success(
                request,
                _("The password was changed. %(name)s's sessions have been signed out.")
                % {"name": person},
            )
            return redirect("accounts:user_edit", user_id=person.pk)
    form_ = UserEditForm(initial=_user_initial(person))
    return _render_user_edit(request, person, form=form_, password_form=form)


@admin_only
def department_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Departments with their member counts, and a form to add one."""
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.create_department(
                actor=request.user, name=form.cleaned_data["name"]
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Department %(name)s was created.") % {"name": department.name}
            )
            return redirect("accounts:department_list")
    return render(
        request,
        "accounts/department_list.html",
        {"departments": departments_list(), "form": form},
    )


@admin_only
def department_edit(request: AuthenticatedHttpRequest, department_id: int) -> HttpResponse:
    """Rename a department."""
    department = get_object_or_404(Department, pk=department_id)
    form = DepartmentForm(request.POST or None, initial={"name": department.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_department(
                department, actor=request.user, name=form.cleaned_data["name"]
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The department was renamed."))
            return redirect("accounts:department_list")
    members = department.members.order_by("first_name", "last_name", "username")
    return render(
        request,
        "accounts/department_form.html",
        {"department": department, "form": form, "members": members},
    )


@admin_only
@require_POST
def department_delete(request: AuthenticatedHttpRequest, department_id: int) -> HttpResponse:
    """Delete an empty department; one with members is refused with the reason."""
    department = get_object_or_404(Department, pk=department_id)
    name = department.name
    try:
        services.delete_department(department, actor=request.user)
    except ValidationFailed as exc:
        for problems in exc.errors.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.success(request, _("Department %(name)s was deleted.") % {"name": name})
    return redirect("accounts:department_list")


@admin_only
def role_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show what each role sees and may do: registered capabilities by app, one column per role."""
    roles = list(Role.objects.order_by("id"))
    rows = [
        (label, [(c, [c.code in role.capabilities for role in roles]) for c in members])
        for label, members in capability_groups()
    ]
    return render(request, "accounts/role_list.html", {"roles": roles, "groups": rows})


@admin_only
def role_edit(request: AuthenticatedHttpRequest, role_id: int) -> HttpResponse:
    """Change a role's name, visibility and capabilities."""
    role = get_object_or_404(Role, pk=role_id)
    initial = {"name": str(role), "visibility": role.visibility, "capabilities": role.capabilities}
    form = RoleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_role(role, actor=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            role.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The role was saved."))
            return redirect("accounts:role_list")
    return render(request, "accounts/role_form.html", {"role": role, "form": form})


def moved_to(url_name: str) -> Callable[..., HttpResponse]:
    """Return the view of an administration screen that moved: a permanent redirect, admin-only."""

    @admin_only
    def view(request: AuthenticatedHttpRequest, **kwargs: Any) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        target = reverse(url_name, kwargs=kwargs) + (f"?{query}" if query else "")
        return HttpResponsePermanentRedirect(target)

    return view
