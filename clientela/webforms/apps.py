"""App configuration of clientela.webforms."""

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebformsConfig(AppConfig):
    """Public web forms: capability, verbs, record types, the builder's link, the retry job."""

    name = "clientela.webforms"
    label = "webforms"
    verbose_name = _("Web forms")

    def ready(self) -> None:
        """Register what web forms offer the registries."""
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.core.events import register_record_type
        from clientela.core.registries import NavItem, register_nav_item, register_public_prefix
        from clientela.core.scheduling import Schedule, register
        from clientela.webforms.queries import may_manage_forms
        from clientela.webforms.services.submitting import FOLLOW_UP_SCHEDULE
        from clientela.webforms.timeline import register_form_verbs

        register_public_prefix("/f/", "web forms, their embed script and opt-in confirmations")
        register_public_prefix("/hooks/", "inbound leads from ad platforms and webhooks")
        register_public_prefix("/p/", "published landing pages and their images")
        register_capability(
            "webforms.manage",
            _("Manage web forms"),
            group=_("Web forms"),
            description=_(
                "Build, publish and embed web forms, read their submissions and retry failed ones."
            ),
            default=Audience.ADMINS | Audience.MARKETING,
        )
        register_form_verbs()
        self._forget_specs_on_change()
        self._register_routing()
        register_record_type("webforms.form", "webforms:detail")
        register_record_type("webforms.submission")
        register_nav_item(
            NavItem(
                "webforms:list",
                _("Web forms"),
                "fields",
                order=58,
                allowed=may_manage_forms,
                active_on=tuple(
                    f"webforms:{name}"
                    for name in ("create", "detail", "edit", "submissions", "submission")
                ),
            )
        )
        # Received submissions into contacts, then their follow-up (woken when a submission is
        # stored; every minute as the safety net for a missed wake or a killed worker).
        register(
            Schedule(
                FOLLOW_UP_SCHEDULE,
                "clientela.webforms.tasks.follow_up_job",
                every=timedelta(minutes=1),
            )
        )
        # Failed submissions are processed again, one at a time.
        register(
            Schedule(
                "webforms.retry",
                "clientela.webforms.tasks.retry_failed_job",
                every=timedelta(minutes=5),
            )
        )

    def _forget_specs_on_change(self) -> None:
        """Drop this process's cached form specs when a form, field, consent or custom field changes."""
        from django.db.models.signals import post_delete, post_save

        from clientela.contacts.models import CustomField
        from clientela.webforms.models import Form, FormConsent, FormField
        from clientela.webforms.queries import forget_form_specs

        for model in (Form, FormField, FormConsent, CustomField):
            for action, signal in (("save", post_save), ("delete", post_delete)):
                uid = f"webforms.spec.{model.__name__}.{action}"
                signal.connect(forget_form_specs, sender=model, dispatch_uid=uid)

    def _register_routing(self) -> None:
        """Register lead routing: its capability, verbs, listener and screens' links."""
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.core.events import register_record_type
        from clientela.core.registries import ADMINISTRATION, NavItem, register_nav_item
        from clientela.webforms.queries import may_route_leads
        from clientela.webforms.routing_verbs import register_routing_verbs
        from clientela.webforms.services.assigning import assign_batch, assign_safely
        from clientela.webforms.services.submitting import register_submission_listener

        register_capability(
            "webforms.route_leads",
            _("Route leads and see speed to lead"),
            group=_("Web forms"),
            description=_(
                "Change the rules that give each new lead a rep and a task, and see how fast "
                "reps answer new leads."
            ),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        register_routing_verbs()
        register_record_type("webforms.assignmentrule", "webforms:rule_edit")
        register_submission_listener(assign_safely, batch=assign_batch)
        self._register_mail()
        self._register_inbound()
        register_nav_item(
            NavItem(
                "webforms:speed",
                _("Speed to lead"),
                "clock",
                order=59,
                allowed=may_route_leads,
            )
        )
        register_nav_item(
            NavItem(
                "webforms:rules",
                _("Lead routing"),
                "route",
                order=45,
                section=ADMINISTRATION,
                allowed=may_route_leads,
                active_on=("webforms:rule_create", "webforms:rule_edit", "webforms:rule_delete"),
            )
        )

    def _register_inbound(self) -> None:
        """Register inbound lead sources: the Meta preparer, audit verbs, the screens' link."""
        from clientela.core.events import register_record_type, register_verbs
        from clientela.core.registries import ADMINISTRATION, NavItem, register_nav_item
        from clientela.webforms.choices import PageVerb, SourceVerb, SubmissionSource
        from clientela.webforms.queries import may_manage_forms
        from clientela.webforms.services.inbound import prepare_meta_submission
        from clientela.webforms.services.submitting import register_submission_preparer

        register_submission_preparer(SubmissionSource.META, prepare_meta_submission)
        register_verbs(SourceVerb)
        register_verbs(PageVerb)
        register_record_type("webforms.landingpage", "webforms:page_edit")
        register_record_type("webforms.pageimage")
        register_nav_item(
            NavItem(
                "webforms:pages",
                _("Landing pages"),
                "page",
                order=58,
                allowed=may_manage_forms,
                active_on=tuple(
                    f"webforms:{name}" for name in ("page_create", "page_edit", "page_settings")
                ),
            )
        )
        register_record_type("webforms.leadsource", "webforms:source_edit")
        register_nav_item(
            NavItem(
                "webforms:sources",
                _("Lead sources"),
                "plug",
                order=46,
                section=ADMINISTRATION,
                allowed=may_manage_forms,
                active_on=("webforms:source_create", "webforms:source_edit"),
            )
        )

    def _register_mail(self) -> None:
        """Register the kinds of e-mail lead capture sends and the listener that queues them."""
        from clientela.delivery.kinds import register_kind
        from clientela.webforms.services import mailing
        from clientela.webforms.services.submitting import register_submission_listener

        register_kind(mailing.WELCOME, _("Welcome message of a form"))
        register_kind(mailing.CONFIRM, _("Subscription confirmation (double opt-in)"))
        register_kind(mailing.LEAD_ASSIGNED, _("New lead for a rep"))
        register_submission_listener(mailing.send_safely, batch=mailing.send_batch)
        from clientela.webforms.services.visits import join_visitor, join_visitors

        register_submission_listener(join_visitor, batch=join_visitors)
