"""The capability registry: who may do what, the migration from role flags, the roles screen."""

from __future__ import annotations

import re
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from clientela.accounts.capabilities import (
    Audience,
    UnknownCapability,
    all_capabilities,
    register_capability,
    unregister_capability,
)
from clientela.accounts.models import CapabilityDefault, Role, User
from clientela.accounts.queries import has_capability, users_with_capability
from clientela.accounts.services import apply_capability_defaults, update_role
from clientela.accounts.tests.factories import RoleFactory

ROLES = ("administrador", "gerente", "comercial", "mercadeo", "servicio", "solo_lectura")
# Who may do what with the built-in roles, written from the behaviour before the registry
# (role flags can_write/delete/import/export/merge/manage_users, SPEND_ROLES, RATE_ROLES,
# VALUE_ROLES, RECOMPUTE_ROLES and the audit log's "manage_users or gerente"). Columns follow
# ROLES: A(dmin) G(erente) C(omercial) M(ercadeo) S(ervicio) L(ectura).
MATRIX = {
    #                          A  G  C  M  S  L
    "accounts.manage_users": "1  0  0  0  0  0",
    "timeline.view_audit_log": "1  1  0  0  0  0",
    "contacts.write": "1  1  1  1  1  0",
    "contacts.delete": "1  1  0  0  0  0",
    "contacts.merge": "1  1  1  0  0  0",
    "contacts.import": "1  1  0  1  0  0",
    "contacts.export": "1  1  0  1  0  0",
    "orders.view": "1  1  1  1  1  1",
    "orders.write": "1  1  1  1  1  0",
    "orders.delete": "1  1  0  0  0  0",
    "orders.import": "1  1  0  1  0  0",
    "orders.export": "1  1  0  1  0  0",
    "orders.manage_spend": "1  1  0  1  0  0",
    "orders.manage_rates": "1  1  0  0  0  0",
    "analytics.view": "1  1  1  1  0  1",
    "analytics.export": "1  1  0  1  0  0",
    "analytics.recompute": "1  1  0  0  0  0",
    "analytics.manage_settings": "1  1  0  0  0  0",
    "segments.manage": "1  1  0  1  0  0",
    "campaigns.view": "1  1  0  1  0  0",
    "campaigns.manage": "1  1  0  1  0  0",
    "campaigns.send": "1  1  0  1  0  0",
    "delivery.view_messages": "1  0  0  0  0  0",
    "delivery.manage_messages": "1  0  0  0  0  0",
    "delivery.manage_suppressions": "1  0  0  0  0  0",
    "activities.write": "1  1  1  1  1  0",
    "activities.assign": "1  1  0  0  0  0",
    "webforms.manage": "1  0  0  1  0  0",
    "webforms.route_leads": "1  1  0  0  0  0",
    "tracking.manage_sites": "1  0  0  1  0  0",
    "deals.write": "1  1  1  1  1  0",
    "deals.reassign": "1  1  0  0  0  0",
    "deals.export": "1  1  0  0  0  0",
    "deals.import": "1  1  0  0  0  0",
    "deals.manage_pipelines": "1  1  0  0  0  0",
    "catalog.manage_products": "1  1  0  0  0  0",
    "catalog.export": "1  1  0  0  0  0",
    "sales.view_reports": "1  1  1  0  0  0",
    "sales.manage_plan": "1  1  0  0  0  0",
    "billing.quote": "1  1  1  0  0  0",
    "billing.invoice": "1  1  1  0  0  0",
    "billing.record_payments": "1  1  1  0  0  0",
    "billing.manage_settings": "1  0  0  0  0  0",
    "billing.export": "1  1  0  0  0  0",
}


def expected(code: str, role: str) -> bool:
    """The matrix cell for a capability and a built-in role."""
    return MATRIX[code].split()[ROLES.index(role)] == "1"


def test_the_matrix_covers_every_registered_capability() -> None:
    # A new capability must say here, on purpose, which built-in roles get it.
    assert sorted(c.code for c in all_capabilities()) == sorted(MATRIX)


@pytest.mark.parametrize("code", sorted(MATRIX))
def test_it_grants_each_built_in_role_what_it_had(personas: Any, code: str) -> None:
    # The test database is built by the migrations: role flags → codes (0003), then the
    # post_migrate defaults. Every persona keeps exactly its former rights.
    users = {
        "administrador": personas.admin,
        "gerente": personas.manager,
        "comercial": personas.rep,
        "mercadeo": personas.marketer,
        "servicio": personas.outsider,
        "solo_lectura": personas.colleague,
    }
    for role, user in users.items():
        assert has_capability(user, code) is expected(code, role), (code, role)


ROLE_CODE_USE = re.compile(r"RoleCode|role\.code|role__code|\brole_of\(")


def test_no_app_decides_by_role_code() -> None:
    # Rights come from capabilities; only accounts (and demo data, tests, migrations) name roles.
    root = Path(__file__).resolve().parents[2]
    skipped = ("accounts", "demo", "tests", "migrations", "locale", "static")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*"))
        if path.suffix in {".py", ".html"} and not set(skipped) & set(path.relative_to(root).parts)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ROLE_CODE_USE.search(line)
    ]
    assert offenders == []


def test_it_refuses_an_unknown_code(personas: Any) -> None:
    with pytest.raises(UnknownCapability):
        has_capability(personas.admin, "contacts.wirte")
    with pytest.raises(UnknownCapability):
        has_capability(AnonymousUser(), "write")
    with pytest.raises(ValueError, match=r"<app>\.<verb>"):
        register_capability("write", "Write", group="x")


def test_superusers_have_everything_and_the_inactive_nothing(personas: Any) -> None:
    boss = User.objects.create_user("boss", is_superuser=True)
    personas.admin.is_active = False
    for capability in all_capabilities():
        assert has_capability(boss, capability.code)
        assert not has_capability(personas.admin, capability.code)
        assert not has_capability(AnonymousUser(), capability.code)
        assert not has_capability(None, capability.code)


def test_it_lists_users_with_a_capability(personas: Any) -> None:
    boss = User.objects.create_user("boss", is_superuser=True)
    assert set(users_with_capability("accounts.manage_users")) == {personas.admin, boss}
    assert personas.manager in users_with_capability("timeline.view_audit_log")


@pytest.fixture
def new_capability() -> Any:
    """A capability registered after the installation (as a new app would)."""
    capability = register_capability(
        "sample.manage_widgets",
        "Manage widgets",
        group="Samples",
        default=Audience.ADMINS | Audience.SALES,
    )
    yield capability
    unregister_capability(capability.code)


def test_a_new_capability_reaches_its_audience_once(personas: Any, new_capability: Any) -> None:
    RoleFactory.create(code="socio", name="Socio", capabilities=["contacts.write"])
    assert apply_capability_defaults() == ["sample.manage_widgets"]
    roles = {role.code: role for role in Role.objects.all()}
    granted = {code for code, role in roles.items() if "sample.manage_widgets" in role.capabilities}
    assert granted == {"administrador", "comercial"}  # custom roles get nothing by default
    assert roles["socio"].capabilities == ["contacts.write"]
    assert CapabilityDefault.objects.filter(code="sample.manage_widgets").exists()

    # An administrator takes it away again: the next migrate does not undo that.
    update_role(roles["comercial"], actor=personas.admin, capabilities=["contacts.write"])
    assert apply_capability_defaults() == []
    assert Role.objects.get(code="comercial").capabilities == ["contacts.write"]
    assert not has_capability(User.objects.get(pk=personas.rep.pk), "sample.manage_widgets")


def test_granting_a_capability_opens_the_screen(personas: Any, client: Client) -> None:
    # What was hard-coded by role code is now editable: value pages and the audit log for service.
    client.force_login(personas.outsider)
    assert client.get(reverse("analytics:dashboard")).status_code == 404
    assert client.get(reverse("timeline:audit_log")).status_code == 404
    role = personas.roles["servicio"]
    update_role(
        role,
        actor=personas.admin,
        capabilities=[*role.capabilities, "analytics.view", "timeline.view_audit_log"],
    )
    assert client.get(reverse("analytics:dashboard")).status_code == 200
    assert client.get(reverse("timeline:audit_log")).status_code == 200
    # And taking orders.view away closes the order screens.
    update_role(role, actor=personas.admin, capabilities=["contacts.write"])
    assert client.get(reverse("orders:order_list")).status_code == 404


# --- the navigation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees_link"), [("admin", True), ("manager", True), ("rep", False)]
)
def test_the_audit_log_link_has_one_place(
    personas: Any, client: Client, persona: str, sees_link: bool
) -> None:
    client.force_login(getattr(personas, persona))
    html = client.get(reverse("contacts:contact_list")).content.decode()
    sidebar, _sep, topbar = html.partition('<header class="topbar">')
    assert (reverse("timeline:audit_log") in sidebar) is sees_link
    assert reverse("timeline:audit_log") not in topbar
    # Only administrators get the user, role and field screens.
    assert (reverse("accounts:role_list") in sidebar) is (persona == "admin")


# --- the roles screen --------------------------------------------------------------------------


def test_the_roles_screen_speaks_the_readers_language(personas: Any, client: Client) -> None:
    client.force_login(personas.admin)  # Spanish by default
    html = client.get(reverse("accounts:role_list")).content.decode()
    for spanish in ("Administrador", "Gerente", "Comercial", "Solo lectura"):
        assert spanish in html
    for english in ("Administrator", "Manager", "Sales rep", "Read only"):
        assert f">{english}<" not in html
    assert "Registros que ve" in html  # no cryptic column heading
    assert "Gestionar tasas de cambio" in html  # capability labels, grouped by app
    assert "Pedidos y costos de adquisición" in html
    admin_role = personas.roles["administrador"]
    html = client.get(reverse("accounts:role_edit", args=[admin_role.pk])).content.decode()
    assert "Rol: Administrador" in html
    assert 'value="timeline.view_audit_log" checked' in html
    assert 'value="orders.manage_rates" checked' in html


def test_a_renamed_role_keeps_its_name_and_a_built_in_name_follows_the_language(
    personas: Any, client: Client
) -> None:
    role = personas.roles["comercial"]
    update_role(role, actor=personas.admin, name="Asesor inmobiliario")
    assert str(Role.objects.get(pk=role.pk)) == "Asesor inmobiliario"
    update_role(role, actor=personas.admin, name="Sales rep")  # its built-in name, in English
    role.refresh_from_db()
    assert role.name == ""
    client.force_login(personas.admin)
    client.post(reverse("accounts:set_language"), {"language": "en"})
    html = client.get(reverse("accounts:role_edit", args=[role.pk])).content.decode()
    assert "Role: Sales rep" in html


# --- the migration -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_each_roles_flags_into_codes() -> None:
    executor = MigrationExecutor(connection)
    before = [("accounts", "0002_default_roles")]
    after = [("accounts", "0003_role_capabilities")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldRole = old_apps.get_model("accounts", "Role")
    # A transactional test before this one may have flushed the rows 0002 created.
    if not OldRole.objects.exists():
        import_module("clientela.accounts.migrations.0002_default_roles").create_roles(
            old_apps, None
        )
    # An installation whose administrator had changed roles: reps export but cannot merge;
    # service imports; read-only has the import flag without write (could not import).
    OldRole.objects.filter(code="comercial").update(can_export=True, can_merge=False)
    OldRole.objects.filter(code="servicio").update(can_import=True, name="Soporte")
    OldRole.objects.filter(code="solo_lectura").update(can_import=True)
    OldRole.objects.create(code="auditor", name="Auditor", can_write=False, can_export=True)

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    try:
        _check_roles_after_the_migration()
    finally:
        # Going back to accounts 0002 also unapplied every migration that depends on a later
        # accounts one (other apps' too): bring the whole schema forward again, or the tests
        # that run after this one on the same database would meet missing columns.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _check_roles_after_the_migration() -> None:
    apply_capability_defaults()
    roles = {role.code: role for role in Role.objects.all()}
    assert set(roles["comercial"].capabilities) == {
        *("contacts.write", "orders.write", "contacts.export", "orders.export"),
        *("analytics.export", "orders.view", "analytics.view", "activities.write"),
        *("deals.write", "sales.view_reports"),
        *("billing.quote", "billing.invoice", "billing.record_payments"),
    }
    assert {"contacts.import", "orders.import"} <= set(roles["servicio"].capabilities)
    assert "analytics.view" not in roles["servicio"].capabilities
    assert not {"contacts.import", "orders.import"} & set(roles["solo_lectura"].capabilities)
    # A custom role keeps its flags as codes and gets no new capability by default.
    assert set(roles["auditor"].capabilities) == {
        "contacts.export",
        "orders.export",
        "analytics.export",
    }
    # Built-in names are read in the reader's language; a name the administrator chose stays.
    assert roles["administrador"].name == ""
    assert roles["servicio"].name == "Soporte"
    assert roles["auditor"].name == "Auditor"


def test_a_role_change_reaches_the_audit_log(personas: Any, client: Client) -> None:
    role = personas.roles["comercial"]
    update_role(role, actor=personas.admin, capabilities=["contacts.write", "orders.view"])
    client.force_login(personas.admin)
    response = client.get(reverse("timeline:audit_log"), {"record_type": "accounts.role"})
    assert response.status_code == 200
    assert "contacts.merge" in response.content.decode()  # the capability taken away


def test_the_roles_screens_pin_their_queries(
    personas: Any, client: Client, django_assert_num_queries: Any
) -> None:
    # Session, user, the admin's role (every capability check after it is cached), the roles.
    client.force_login(personas.admin)
    with django_assert_num_queries(4):
        assert client.get(reverse("accounts:role_list")).status_code == 200
    role = personas.roles["comercial"]
    with django_assert_num_queries(4):
        assert client.get(reverse("accounts:role_edit", args=[role.pk])).status_code == 200
