from typing import Any

from django.apps import AppConfig
from django.apps.registry import Apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "clientela.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from clientela.accounts.capabilities import Audience, register_capability

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
