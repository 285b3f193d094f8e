"""App configuration of clientela.accounts."""

from typing import Any

from django.apps import AppConfig
from django.apps.registry import Apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """The accounts app: users, roles and capabilities, wired into the registries in ready()."""

    name = "clientela.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        """Register what accounts offers the registries.

        Capabilities, verbs, administration screens, the profile link and the commands' actor.
        """
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.accounts.choices import AccountVerb
        from clientela.accounts.models import User
        from clientela.accounts.queries import default_command_actor, has_capability
        from clientela.core.events import (
            DataKey,
            register_data_keys,
            register_record_type,
            register_verbs,
        )
        from clientela.core.registries import (
            ADMINISTRATION,
            NavItem,
            QuickLink,
            register_default_command_actor,
            register_nav_item,
            register_quick_link,
        )

        register_verbs(AccountVerb)  # read in the audit log; never on a customer's timeline
        register_data_keys(
            {
                "two_factor": DataKey(_("Two-factor sign-in")),
                "step": DataKey(_("Step")),
                "token": DataKey(_("API token")),
            }
        )
        register_record_type("accounts.user", "accounts:user_edit")
        register_record_type("accounts.department")
        register_record_type("accounts.role")
        register_default_command_actor(default_command_actor)
        from clientela.accounts.start import users_panel_context
        from clientela.core.registries import StartPanel, register_start_panel

        register_start_panel(
            StartPanel("accounts.users", 50, "accounts/start_panel.html", users_panel_context)
        )

        def manages_users(user: User) -> bool:
            return has_capability(user, "accounts.manage_users")

        for item in (
            NavItem(
                "accounts:user_list",
                _("Users"),
                "users",
                order=10,
                section=ADMINISTRATION,
                allowed=manages_users,
                active_on=("accounts:user_create", "accounts:user_edit"),
            ),
            NavItem(
                "accounts:department_list",
                _("Departments"),
                "departments",
                order=20,
                section=ADMINISTRATION,
                allowed=manages_users,
                active_on=("accounts:department_edit",),
            ),
            NavItem(
                "accounts:role_list",
                _("Roles"),
                "roles",
                order=30,
                section=ADMINISTRATION,
                allowed=manages_users,
                active_on=("accounts:role_edit",),
            ),
        ):
            register_nav_item(item)
        register_quick_link(QuickLink("accounts:profile", _("My profile"), order=90))

        register_capability(
            "accounts.manage_users",
            _("Manage users and settings"),
            group=_("Administration"),
            description=_(
                "Create and change users, departments, roles and custom fields; see "
                "everyone's import jobs and revoke anyone's API tokens."
            ),
            default=Audience.ADMINS,
        )
        # After every migrate (all apps have registered by then): grant capabilities
        # registered since the last run to the built-in roles of their audience, once.
        post_migrate.connect(
            _apply_capability_defaults, sender=self, dispatch_uid="accounts.capability_defaults"
        )


def _apply_capability_defaults(
    sender: AppConfig, apps: Apps | None = None, using: str = "default", **kwargs: Any
) -> None:
    """post_migrate: apply new capabilities' defaults, when the tables have their final shape."""
    from clientela.accounts.services import apply_capability_defaults

    if apps is not None:
        try:
            role = apps.get_model("accounts", "Role")
            apps.get_model("accounts", "CapabilityDefault")
        except LookupError:
            return  # migrated back to before the capability registry
        if "capabilities" not in {f.name for f in role._meta.get_fields()}:
            return
    apply_capability_defaults(using=using)
