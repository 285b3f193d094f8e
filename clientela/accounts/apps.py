from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "clientela.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        """Register verbs, administration screens, the profile link and the commands' actor."""
        from clientela.accounts.choices import AccountVerb
        from clientela.accounts.queries import default_command_actor, has_capability
        from clientela.core.events import register_record_type, register_verbs
        from clientela.core.registries import (
            ADMINISTRATION,
            NavItem,
            QuickLink,
            register_default_command_actor,
            register_nav_item,
            register_quick_link,
        )

        register_verbs(AccountVerb)  # read in the audit log; never on a customer's timeline
        register_record_type("accounts.user", "accounts:user_edit")
        register_record_type("accounts.department")
        register_record_type("accounts.role")
        register_default_command_actor(default_command_actor)

        def manages_users(user: object) -> bool:
            return has_capability(user, "manage_users")

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
