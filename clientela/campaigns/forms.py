"""Forms of the campaign screens: the template editor (one language at a time) and campaigns."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from clientela.campaigns.blocks import MAX_BLOCKS, MAX_SOURCE, MAX_TEXT
from clientela.campaigns.choices import (
    AbTarget,
    BlockType,
    ScheduleMode,
    TemplateMode,
    WinnerMetric,
)
from clientela.campaigns.models import Campaign, EmailTemplate
from clientela.campaigns.services.campaigns import allowed_senders
from clientela.core.numbers import DB_INT_MAX
from clientela.segments.models import Segment

BLOCK_KEYS = ("text", "level", "src", "alt", "href", "color", "left", "right")
LANGUAGE_CHOICES = (("es", _("Spanish")), ("en", _("English")))


class TemplateForm(forms.Form):
    """Name, editor mode and one language's subject, preview text and HTML source."""

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    mode = forms.ChoiceField(label=_("Editor"), choices=TemplateMode.choices)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=300,
        required=False,
        help_text=_('Personalise with {{ contacto.nombre|default:"amigo" }}.'),
    )
    preheader = forms.CharField(label=_("Preview text"), max_length=200, required=False)
    html = forms.CharField(
        label=_("HTML source"),
        max_length=MAX_SOURCE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code"}),
    )
    version = forms.IntegerField(
        required=False, min_value=0, max_value=DB_INT_MAX, widget=forms.HiddenInput
    )

    @classmethod
    def for_template(cls, template: EmailTemplate | None, language: str) -> TemplateForm:
        """Return the form filled with one language of `template` (empty for a new one)."""
        if template is None:
            return cls(initial={"mode": TemplateMode.BLOCKS})
        return cls(
            initial={
                "name": template.name,
                "description": template.description,
                "mode": template.mode,
                "subject": getattr(template, f"subject_{language}"),
                "preheader": getattr(template, f"preheader_{language}"),
                "html": getattr(template, f"html_{language}"),
                "version": template.version,
            }
        )

    def service_data(self, language: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
        """Return what the service stores for the edited language."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data.get("description") or "",
            "mode": data["mode"],
            f"subject_{language}": data.get("subject") or "",
            f"preheader_{language}": data.get("preheader") or "",
            f"html_{language}": data.get("html") or "",
            f"blocks_{language}": blocks,
        }


def blocks_from_post(post: QueryDict) -> list[dict[str, Any]]:
    """Read the block editor's fields (b-<n>-type, b-<n>-text…) in order, at most MAX_BLOCKS.

    Values keep what the author typed; the service checks kinds, lengths and link schemes.
    """
    blocks: list[dict[str, Any]] = []
    for index in range(MAX_BLOCKS + 1):
        kind = post.get(f"b-{index}-type")
        if kind is None:
            continue
        block: dict[str, Any] = {"type": kind}
        for key in BLOCK_KEYS:
            value = post.get(f"b-{index}-{key}")
            if value:
                block[key] = value[: MAX_TEXT + 1]
        blocks.append(block)
    return blocks


def apply_action(blocks: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """Apply an editor button (add:<type>, remove:<n>, up:<n>, down:<n>) to the blocks."""
    verb, _sep, arg = action.partition(":")
    result = list(blocks)
    if verb == "add" and arg in BlockType.values and len(result) < MAX_BLOCKS:
        result.append({"type": arg})
        return result
    if not arg.isdigit():
        return result
    index = int(arg)
    if not 0 <= index < len(result):
        return result
    if verb == "remove":
        del result[index]
    elif verb == "up" and index > 0:
        result[index - 1], result[index] = result[index], result[index - 1]
    elif verb == "down" and index < len(result) - 1:
        result[index + 1], result[index] = result[index], result[index + 1]
    return result


class CampaignForm(forms.Form):
    """Everything about a campaign except when it is sent (the send form says that)."""

    name = forms.CharField(label=_("Name"), max_length=150)
    template = forms.ModelChoiceField(label=_("Template"), queryset=EmailTemplate.objects.none())
    subject_es = forms.CharField(
        label=_("Subject (Spanish)"),
        max_length=300,
        required=False,
        help_text=_("Empty: the template's subject."),
    )
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=300, required=False)
    from_name = forms.CharField(label=_("Sender name"), max_length=100, required=False)
    from_email = forms.CharField(
        label=_("Sender address"),
        max_length=254,
        required=False,
        help_text=_("Empty: the installation's sender address."),
    )
    reply_to = forms.CharField(label=_("Reply to"), max_length=254, required=False)
    purpose = forms.ChoiceField(
        label=_("Topic"),
        help_text=_("Recipients who left this topic on their preference page do not get it."),
    )
    segments = forms.ModelMultipleChoiceField(
        label=_("Send to (segments and lists)"),
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    excluded_segments = forms.ModelMultipleChoiceField(
        label=_("Except members of"),
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    ab_target = forms.ChoiceField(label=_("A/B test"), choices=AbTarget.choices, required=False)
    subject_b_es = forms.CharField(
        label=_("Variant B subject (Spanish)"), max_length=300, required=False
    )
    subject_b_en = forms.CharField(
        label=_("Variant B subject (English)"), max_length=300, required=False
    )
    from_name_b = forms.CharField(label=_("Variant B sender name"), max_length=100, required=False)
    from_email_b = forms.CharField(
        label=_("Variant B sender address"),
        max_length=254,
        required=False,
        help_text=_("Empty: the campaign's sender address."),
    )
    template_b = forms.ModelChoiceField(
        label=_("Variant B template"), queryset=EmailTemplate.objects.none(), required=False
    )
    ab_sample_percent = forms.IntegerField(
        label=_("Test sample (% of the audience)"), min_value=2, max_value=50, initial=20
    )
    ab_wait_hours = forms.IntegerField(
        label=_("Choose the winner after (hours)"), min_value=1, max_value=168, initial=4
    )
    ab_metric = forms.ChoiceField(label=_("Winner by"), choices=WinnerMetric.choices)
    per_minute = forms.IntegerField(
        label=_("At most messages per minute"), min_value=1, max_value=1_000_000, required=False
    )
    per_domain_minute = forms.IntegerField(
        label=_("At most messages per minute to one domain"),
        min_value=1,
        max_value=1_000_000,
        required=False,
        help_text=_("For example, to gmail.com."),
    )
    cost = forms.DecimalField(
        label=_("Cost"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    attribution_days = forms.IntegerField(
        label=_("Attribute orders placed within (days of a click)"),
        min_value=1,
        max_value=365,
        initial=7,
    )
    version = forms.IntegerField(
        required=False, min_value=0, max_value=DB_INT_MAX, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        templates = EmailTemplate.objects.filter(deleted_at__isnull=True)
        segments = Segment.objects.filter(deleted_at__isnull=True)
        for name in ("template", "template_b"):
            self.fields[name].queryset = templates  # type: ignore[attr-defined]
        for name in ("segments", "excluded_segments"):
            self.fields[name].queryset = segments  # type: ignore[attr-defined]
        from clientela.delivery.topics import topics

        self.fields["purpose"].choices = [(t.key, t.label) for t in topics()]  # type: ignore[attr-defined]
        senders = allowed_senders()
        if senders:
            allowed = _("Allowed: %(senders)s.") % {"senders": ", ".join(senders)}
            for name in ("from_email", "from_email_b"):
                field = self.fields[name]
                field.help_text = f"{field.help_text} {allowed}"

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict[str, Any]:
        """Return the form's initial values for an existing campaign."""
        variants = {v.label: v for v in campaign.variants.all()}
        a, b = variants.get("A"), variants.get("B")
        return {
            "name": campaign.name,
            "template": campaign.template_id,
            "subject_es": a.subject_es if a else "",
            "subject_en": a.subject_en if a else "",
            "from_name": campaign.from_name,
            "from_email": campaign.from_email,
            "reply_to": campaign.reply_to,
            "purpose": campaign.purpose,
            "segments": list(campaign.segments.values_list("pk", flat=True)),
            "excluded_segments": list(campaign.excluded_segments.values_list("pk", flat=True)),
            "ab_target": campaign.ab_target,
            "subject_b_es": b.subject_es if b else "",
            "subject_b_en": b.subject_en if b else "",
            "from_name_b": b.from_name if b else "",
            "from_email_b": b.from_email if b else "",
            "template_b": b.template_id if b else None,
            "ab_sample_percent": campaign.ab_sample_percent,
            "ab_wait_hours": campaign.ab_wait_hours,
            "ab_metric": campaign.ab_metric,
            "per_minute": campaign.per_minute,
            "per_domain_minute": campaign.per_domain_minute,
            "cost": campaign.cost,
            "attribution_days": campaign.attribution_days,
            "version": campaign.version,
        }

    def service_data(self) -> dict[str, Any]:
        """Return the service's data: ids for records, plain values for the rest."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["template"] = data["template"].pk
        data["template_b"] = data["template_b"].pk if data.get("template_b") else None
        data["segments"] = [s.pk for s in data.get("segments") or []]
        data["excluded_segments"] = [s.pk for s in data.get("excluded_segments") or []]
        data["cost"] = data.get("cost") or 0
        return data


class SendForm(forms.Form):
    """When to send: now, at a moment in the company's time zone, or at each recipient's hour."""

    schedule_mode = forms.ChoiceField(
        label=_("When"), choices=ScheduleMode.choices, widget=forms.RadioSelect
    )
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


class PreviewForm(forms.Form):
    """Whom to preview a template as, and in which language."""

    contact = forms.IntegerField(required=False, min_value=1, max_value=DB_INT_MAX)
    lang = forms.ChoiceField(choices=LANGUAGE_CHOICES, required=False)


class ImageForm(forms.Form):
    """An image to upload for e-mails."""

    image = forms.FileField(label=_("Image"))


class SaveListForm(forms.Form):
    """The name of the static list that keeps the contacts behind a report figure."""

    name = forms.CharField(label=_("Name of the new list"), max_length=120)
