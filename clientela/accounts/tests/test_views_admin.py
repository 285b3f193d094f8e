"""Administration screens: users, departments and roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.accounts.models import Department, Role, User
from clientela.accounts.tests.factories import DepartmentFactory

NOT_ADMINS = ["manager", "rep", "rep2", "colleague", "marketer", "outsider"]


def signed_in(client: Client, user: User) -> Client:
    """`client` signed in as `user`, reading English (the msgids)."""
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def admin_client(client: Client, personas: Any) -> Client:
    """The administrator signed in."""
    return signed_in(client, personas.admin)


# --- users -----------------------------------------------------------------------------------


def test_it_lists_users_with_role_departments_and_state(
    admin_client: Client, personas: Any, django_assert_max_num_queries: Any
) -> None:
    personas.rep2.is_active = False
    personas.rep2.save()
    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("accounts:user_list"))
    assert response.status_code == 200
    text = response.content.decode()
    for username in ("admin", "gerente", "rep", "rep2", "colega", "mercadeo", "outsider"):
        assert f"<td>{username}</td>" in text
    assert "Comercial Medellín" in text
    assert "Sales rep" in text
    assert "Inactive" in text
    assert "Never" in text


def test_it_keeps_the_users_list_queries_flat(
    admin_client: Client, personas: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        user = User.objects.create_user(username=f"extra{n}", role=personas.roles["comercial"])
        user.departments.set([personas.departments["Mercadeo"]])
    with django_assert_max_num_queries(10):
        assert admin_client.get(reverse("accounts:user_list")).status_code == 200


def test_it_searches_users(admin_client: Client, personas: Any) -> None:
    response = admin_client.get(reverse("accounts:user_list"), {"q": "mercadeo@example"})
    text = response.content.decode()
    assert "<td>mercadeo</td>" in text
    assert "<td>rep</td>" not in text
    partial = admin_client.get(
        reverse("accounts:user_list"), {"q": "zzz"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "No user matches “zzz”." in partial
    assert "<html" not in partial


@pytest.mark.parametrize("persona", NOT_ADMINS)
def test_it_hides_the_admin_screens_from_other_roles(
    client: Client, personas: Any, persona: str
) -> None:
    signed_in(client, getattr(personas, persona))
    for url in (
        reverse("accounts:user_list"),
        reverse("accounts:user_create"),
        reverse("accounts:user_edit", args=[personas.rep.pk]),
        reverse("accounts:department_list"),
        reverse("accounts:role_list"),
        reverse("accounts:role_edit", args=[personas.roles["comercial"].pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("accounts:user_create"),
        {"username": "intruso", "password": "Clave-segura-2026", "role": 1, "language": "es"},
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="intruso").exists()


def test_it_does_not_preselect_a_role_for_a_new_user(admin_client: Client, db: Any) -> None:
    form = admin_client.get(reverse("accounts:user_create")).context["form"]
    assert form["role"].value() is None
    assert "Choose a role…" in str(form["role"])


def test_it_creates_a_user(admin_client: Client, personas: Any) -> None:
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "nueva",
            "first_name": "Nueva",
            "last_name": "Comercial",
            "email": "nueva@example.co",
            "role": personas.roles["comercial"].pk,
            "departments": [personas.departments["Comercial Bogotá"].pk],
            "language": "en",
            "password": "Clave-inicial-2026",
        },
    )
    user = User.objects.get(username="nueva")
    assert response["Location"] == reverse("accounts:user_edit", args=[user.pk])
    assert user.check_password("Clave-inicial-2026")
    assert user.role == personas.roles["comercial"]
    assert user.language == "en"
    assert [d.name for d in user.departments.all()] == ["Comercial Bogotá"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"username": ""}, "Enter a username."),
        ({"username": "rep"}, "A user with that username already exists."),
        ({"username": "con espacio"}, "Use only letters, digits and the characters"),
        ({"email": "no-es-correo"}, "Enter a valid e-mail address."),
        ({"password": ""}, "Enter an initial password."),
        ({"password": "1234"}, "This password is too short."),
        ({"role": ""}, "Choose a role."),
    ],
)
def test_it_explains_invalid_new_users(
    admin_client: Client, personas: Any, change: dict[str, str], message: str
) -> None:
    data = {
        "username": "nueva",
        "role": personas.roles["comercial"].pk,
        "language": "es",
        "password": "Clave-inicial-2026",
        **change,
    }
    response = admin_client.post(reverse("accounts:user_create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 7


def test_it_edits_a_users_role_departments_and_state(admin_client: Client, personas: Any) -> None:
    page = admin_client.get(reverse("accounts:user_edit", args=[personas.rep.pk]))
    assert page.status_code == 200
    response = admin_client.post(
        reverse("accounts:user_edit", args=[personas.rep.pk]),
        {
            "first_name": "Rep",
            "last_name": "Ascendido",
            "role": personas.roles["gerente"].pk,
            "departments": [
                personas.departments["Gerencia"].pk,
                personas.departments["Comercial Medellín"].pk,
            ],
            "language": "es",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    personas.rep.refresh_from_db()
    assert personas.rep.role == personas.roles["gerente"]
    assert personas.rep.last_name == "Ascendido"
    assert sorted(d.name for d in personas.rep.departments.all()) == [
        "Comercial Medellín",
        "Gerencia",
    ]


def test_it_refuses_to_deactivate_oneself(admin_client: Client, personas: Any) -> None:
    response = admin_client.post(
        reverse("accounts:user_edit", args=[personas.admin.pk]),
        {"role": personas.roles["administrador"].pk, "language": "es"},
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.content.decode()
    personas.admin.refresh_from_db()
    assert personas.admin.is_active


def test_it_answers_404_for_a_missing_user(admin_client: Client, db: Any) -> None:
    assert admin_client.get(reverse("accounts:user_edit", args=[999999])).status_code == 404


def test_it_resets_a_users_password(admin_client: Client, personas: Any) -> None:
    rep_session = Client()
    rep_session.force_login(personas.rep)
    url = reverse("accounts:user_password", args=[personas.rep.pk])
    weak = admin_client.post(url, {"new_password": "abc"})
    assert "This password is too short." in weak.content.decode()
    response = admin_client.post(url, {"new_password": "Nueva-clave-2026-xyz"})
    assert response.status_code == 302
    personas.rep.refresh_from_db()
    assert personas.rep.check_password("Nueva-clave-2026-xyz")
    assert rep_session.get("/accounts/profile/").status_code == 302  # their session ended
    assert admin_client.get("/accounts/profile/").status_code == 200


# --- departments -----------------------------------------------------------------------------


def test_it_lists_and_creates_departments(admin_client: Client, personas: Any) -> None:
    page = admin_client.get(reverse("accounts:department_list")).content.decode()
    assert "Comercial Bogotá" in page
    response = admin_client.post(reverse("accounts:department_list"), {"name": "Postventa"})
    assert response.status_code == 302
    assert Department.objects.filter(name="Postventa").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Enter the department&#x27;s name."), ("mercadeo", "already exists")],
)
def test_it_explains_invalid_department_names(
    admin_client: Client, personas: Any, name: str, message: str
) -> None:
    response = admin_client.post(reverse("accounts:department_list"), {"name": name})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_it_renames_a_department(admin_client: Client, personas: Any) -> None:
    department = personas.departments["Servicio"]
    url = reverse("accounts:department_edit", args=[department.pk])
    page = admin_client.get(url).content.decode()
    assert "Outsider" in page  # its members
    clash = admin_client.post(url, {"name": "Gerencia"})
    assert "A department with this name already exists." in clash.content.decode()
    assert admin_client.post(url, {"name": "Servicio al cliente"}).status_code == 302
    department.refresh_from_db()
    assert department.name == "Servicio al cliente"


def test_it_refuses_to_delete_a_department_with_members(
    admin_client: Client, personas: Any
) -> None:
    department = personas.departments["Servicio"]
    response = admin_client.post(
        reverse("accounts:department_delete", args=[department.pk]), follow=True
    )
    assert "Move the department&#x27;s members elsewhere before deleting it." in (
        response.content.decode()
    )
    assert Department.objects.filter(pk=department.pk).exists()


def test_it_deletes_an_empty_department(admin_client: Client, personas: Any) -> None:
    empty = DepartmentFactory.create(name="Vacío")
    response = admin_client.post(reverse("accounts:department_delete", args=[empty.pk]))
    assert response.status_code == 302
    assert not Department.objects.filter(pk=empty.pk).exists()


# --- roles -----------------------------------------------------------------------------------


def test_it_lists_roles(admin_client: Client, personas: Any) -> None:
    text = admin_client.get(reverse("accounts:role_list")).content.decode()
    assert "Own records" in text
    assert "All records" in text


def test_it_edits_a_roles_visibility_and_capabilities(admin_client: Client, personas: Any) -> None:
    role = personas.roles["comercial"]
    response = admin_client.post(
        reverse("accounts:role_edit", args=[role.pk]),
        {
            "name": "Comercial",
            "visibility": "department",
            "capabilities": ["contacts.write", "contacts.export", "analytics.recompute"],
        },
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.visibility == "department"
    assert role.capabilities == ["contacts.write", "contacts.export", "analytics.recompute"]


def test_it_keeps_user_management_on_the_administrator_role(
    admin_client: Client, personas: Any
) -> None:
    role = personas.roles["administrador"]
    response = admin_client.post(
        reverse("accounts:role_edit", args=[role.pk]),
        {"name": "Administrador", "visibility": "all", "capabilities": ["contacts.write"]},
    )
    assert response.status_code == 200
    assert "The administrator role must keep user management." in response.content.decode()
    assert "accounts.manage_users" in Role.objects.get(pk=role.pk).capabilities


def test_it_refuses_an_unknown_visibility(admin_client: Client, personas: Any) -> None:
    role = personas.roles["comercial"]
    response = admin_client.post(
        reverse("accounts:role_edit", args=[role.pk]), {"name": "X", "visibility": "everyone"}
    )
    assert "Select a valid choice." in response.content.decode()


def test_it_shows_the_admin_navigation_only_to_admins(client: Client, personas: Any) -> None:
    signed_in(client, personas.admin)
    assert reverse("accounts:role_list") in client.get("/accounts/profile/").content.decode()
    signed_in(client, personas.rep)
    assert reverse("accounts:role_list") not in client.get("/accounts/profile/").content.decode()


def test_it_redirects_the_old_custom_field_addresses(admin_client: Client) -> None:
    response = admin_client.get("/accounts/custom-fields/?entity=company")
    assert response.status_code == 301
    assert response["Location"] == reverse("contacts:custom_field_list") + "?entity=company"
    response = admin_client.get("/accounts/custom-fields/7/")
    assert response["Location"] == reverse("contacts:custom_field_edit", args=[7])
