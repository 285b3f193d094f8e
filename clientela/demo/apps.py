"""App configuration of clientela.demo."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo app: demo data and the commands that serve and run Clientela."""

    name = "clientela.demo"
    label = "demo"
    verbose_name = _("Demo data and process management")
