"""Campaign screens: templates (gallery, block editor, preview, test send), campaigns, reports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.campaigns.blocks import company_address
from clientela.campaigns.choices import BlockType, CampaignState, TemplateMode
from clientela.campaigns.forms import (
    CampaignForm,
    ImageForm,
    PreviewForm,
    SaveListForm,
    SendForm,
    TemplateForm,
    apply_action,
    blocks_from_post,
)
from clientela.campaigns.models import Campaign, EmailTemplate, TemplateImage
from clientela.campaigns.queries import (
    audience_counts,
    campaigns_visible_to,
    get_campaign_for_user,
    get_template_for_user,
    may_manage_campaigns,
    may_send_campaigns,
    may_view_campaigns,
    templates_visible_to,
)
from clientela.campaigns.reports import (
    METRICS,
    VariantResult,
    build_report,
    metric_contacts,
    variant_details,
    variant_results,
)
from clientela.campaigns.services import campaigns as campaign_services
from clientela.campaigns.services import sending
from clientela.campaigns.services import templates as template_services
from clientela.campaigns.starters import STARTERS
from clientela.contacts.queries import contacts_visible_to
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.exports import export_download
from clientela.core.http import (
    domain_errors,
    forbid_unless,
    page_number,
    paginate,
    querystring,
    require,
)
from clientela.core.users import AuthenticatedHttpRequest
from clientela.segments.queries import may_manage_segments
from clientela.segments.services import save_as_list


def _errors_onto(form: Any, error: ValidationFailed, aliases: dict[str, str] | None = None) -> None:
    """Put a service's field errors on the form's fields (the rest on the form itself)."""
    for key, problems in error.errors.items():
        name = (aliases or {}).get(key, key)
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


def _require_view(request: AuthenticatedHttpRequest) -> None:
    require(may_view_campaigns(request.user))


def _require_manage(request: AuthenticatedHttpRequest) -> None:
    _require_view(request)
    forbid_unless(
        may_manage_campaigns(request.user), _("Your role cannot change e-mail campaigns.")
    )


# --- Templates ---------------------------------------------------------------------------------


@require_GET
@domain_errors
def template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the templates and the starter gallery."""
    _require_view(request)
    templates = list(templates_visible_to(request.user).order_by("name", "id")[:500])
    return render(
        request,
        "campaigns/template_list.html",
        {
            "templates": templates,
            "starters": STARTERS,
            "can_manage": may_manage_campaigns(request.user),
        },
    )


def _language(request: HttpRequest) -> str:
    lang = request.GET.get("lang") or request.POST.get("lang") or "es"
    return "en" if lang == "en" else "es"


@require_http_methods(["GET", "POST"])
@domain_errors
def template_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a template: blank, or from a starter of the gallery (?starter=newsletter)."""
    _require_manage(request)
    code = request.POST.get("starter") or ""
    if request.method == "POST" and code:
        try:
            template = template_services.create_from_starter(actor=request.user, code=code)
        except ValidationFailed:
            messages.error(request, _("Choose a starter template."))
            return redirect("campaigns:templates")
        messages.success(request, _("Template created from the gallery."))
        return redirect("campaigns:template_edit", pk=template.pk)
    return _template_editor(request, None)


@require_http_methods(["GET", "POST"])
@domain_errors
def template_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Edit a template, one language at a time: blocks or HTML source, with a live preview."""
    template = get_template_for_user(request.user, pk)
    if request.method == "POST":
        _require_manage(request)
    return _template_editor(request, template)


def _template_editor(
    request: AuthenticatedHttpRequest, template: EmailTemplate | None
) -> HttpResponse:
    language = _language(request)
    blocks: list[dict[str, Any]] = (
        list(getattr(template, f"blocks_{language}") or []) if template else []
    )
    if template is None and not blocks:
        blocks = [{"type": BlockType.HEADING}, {"type": BlockType.TEXT}, {"type": BlockType.FOOTER}]
    if request.method == "POST":
        form = TemplateForm(request.POST)
        blocks = blocks_from_post(request.POST)
        action = request.POST.get("action", "save")
        if action != "save":
            # An editor button: rearrange the blocks and show the form again, nothing stored.
            blocks = apply_action(blocks, action)
            form.is_valid()
        elif form.is_valid():
            data = form.service_data(language, blocks)
            version = form.cleaned_data.get("version")
            try:
                if template is None:
                    template = template_services.create_template(actor=request.user, data=data)
                else:
                    template = template_services.update_template(
                        template, actor=request.user, data=data, version=version
                    )
            except ValidationFailed as error:
                _errors_onto(form, error, _aliases(language))
            except Conflict as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Template saved."))
                url = reverse("campaigns:template_edit", kwargs={"pk": template.pk})
                return redirect(f"{url}?lang={language}")
    else:
        form = TemplateForm.for_template(template, language)
    context = {
        "template": template,
        "form": form,
        "language": language,
        "blocks": list(enumerate(blocks)),
        "block_types": BlockType.choices,
        "images": list(TemplateImage.objects.only("token", "extension", "name")[:24]),
        "can_manage": may_manage_campaigns(request.user),
        "is_html": (form["mode"].value() or TemplateMode.BLOCKS) == TemplateMode.HTML,
        "company_address": company_address(),
    }
    return render(request, "campaigns/template_form.html", context)


def _aliases(language: str) -> dict[str, str]:
    return {
        f"subject_{language}": "subject",
        f"preheader_{language}": "preheader",
        f"html_{language}": "html",
        f"blocks_{language}": "__all__",
    }


@require_POST
@domain_errors
def template_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete a template no campaign uses."""
    template = get_template_for_user(request.user, pk)
    _require_manage(request)
    try:
        template_services.delete_template(template, actor=request.user)
    except Conflict as error:
        messages.error(request, str(error))
        return redirect("campaigns:template_edit", pk=template.pk)
    messages.success(request, _("Template deleted."))
    return redirect("campaigns:templates")


@require_GET
@domain_errors
def template_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show the template personalised as a contact (?contact=), in a sandboxed frame."""
    template = get_template_for_user(request.user, pk)
    form = PreviewForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    contact = None
    if data.get("contact"):
        contact = contacts_visible_to(request.user).filter(pk=data["contact"]).first()
    language = data.get("lang") or (contact.language if contact else "es")
    try:
        rendered = template_services.render_for(template, contact, language=language)
        problem = ""
    except ValidationFailed as error:
        rendered = None
        problem = " ".join(p for ps in error.errors.values() for p in ps)
    context = {
        "template": template,
        "rendered": rendered,
        "problem": problem,
        "contact": contact,
        "language": language,
        "contacts": list(
            contacts_visible_to(request.user)
            .exclude(email="")
            .only("id", "first_name", "last_name", "email")
            .order_by("-id")[:20]
        ),
        "can_manage": may_manage_campaigns(request.user),
    }
    return render(request, "campaigns/template_preview.html", context)


@require_POST
@domain_errors
def template_test(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Send the template to yourself, personalised as the chosen contact."""
    template = get_template_for_user(request.user, pk)
    _require_manage(request)
    form = PreviewForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    contact = None
    if data.get("contact"):
        contact = contacts_visible_to(request.user).filter(pk=data["contact"]).first()
    try:
        template_services.send_test(template, actor=request.user, contact=contact)
    except ValidationFailed as error:
        messages.error(request, " ".join(p for ps in error.errors.values() for p in ps))
    else:
        messages.success(request, _("Test sent to %(address)s.") % {"address": request.user.email})
    url = reverse("campaigns:template_preview", kwargs={"pk": template.pk})
    return redirect(f"{url}?contact={contact.pk}" if contact else url)


@require_POST
@domain_errors
def image_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload an image for e-mails; its address can then go into an image block."""
    _require_manage(request)
    form = ImageForm(request.POST, request.FILES)
    upload = request.FILES.get("image") if form.is_valid() else None
    if upload is None:
        messages.error(request, _("Choose an image file."))
    elif upload.size is not None and upload.size > 6 * 1024 * 1024:
        messages.error(request, _("The image is larger than 5 MB."))
    else:
        try:
            template_services.upload_image(
                actor=request.user, raw=upload.read(), name=upload.name or ""
            )
        except ValidationFailed as error:
            messages.error(request, " ".join(p for ps in error.errors.values() for p in ps))
        else:
            messages.success(request, _("Image uploaded: copy its address into an image block."))
    back = request.POST.get("next") or ""
    if back.startswith("/campaigns/") and "//" not in back:
        return redirect(back)
    return redirect("campaigns:templates")


@require_GET
def image(request: HttpRequest, token: str, extension: str) -> HttpResponse:
    """Serve an uploaded e-mail image (public: recipients' mail clients load it)."""
    found = TemplateImage.objects.filter(token=token[:32], extension=extension[:4]).first()
    if found is None:
        raise Http404
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Campaigns ---------------------------------------------------------------------------------


@require_GET
@domain_errors
def campaign_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the campaigns, newest first, with their state and progress."""
    _require_view(request)
    campaigns = list(
        campaigns_visible_to(request.user)
        .select_related("template")
        .order_by("-created_at", "-id")[:200]
    )
    progress = sending.progress_many(campaigns)
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "rows": [(c, progress[c.pk]) for c in campaigns],
            "can_manage": may_manage_campaigns(request.user),
            "has_templates": templates_visible_to(request.user).exists(),
        },
    )


@require_http_methods(["GET", "POST"])
@domain_errors
def campaign_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Prepare a new campaign."""
    _require_manage(request)
    if request.method == "POST":
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = campaign_services.create_campaign(
                    actor=request.user, data=form.service_data()
                )
            except ValidationFailed as error:
                _errors_onto(form, error)
            else:
                messages.success(request, _("Campaign saved as a draft."))
                return redirect("campaigns:detail", pk=campaign.pk)
    else:
        initial: dict[str, Any] = {
            "ab_sample_percent": 20,
            "ab_wait_hours": 4,
            "attribution_days": 7,
        }
        template_id = request.GET.get("template", "")
        if template_id.isdigit() and len(template_id) < 12:
            initial["template"] = int(template_id)
        form = CampaignForm(initial=initial)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": None})


@require_http_methods(["GET", "POST"])
@domain_errors
def campaign_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a campaign that has not started sending."""
    campaign = get_campaign_for_user(request.user, pk)
    _require_manage(request)
    if not campaign.is_editable:
        messages.error(request, _("The campaign has started sending and can no longer be changed."))
        return redirect("campaigns:detail", pk=campaign.pk)
    if request.method == "POST":
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign_services.update_campaign(
                    campaign,
                    actor=request.user,
                    data=form.service_data(),
                    version=form.cleaned_data.get("version"),
                )
            except ValidationFailed as error:
                _errors_onto(form, error)
            except Conflict as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Campaign saved."))
                return redirect("campaigns:detail", pk=campaign.pk)
    else:
        form = CampaignForm(initial=CampaignForm.initial_for(campaign))
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign})


@require_POST
@domain_errors
def campaign_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete a campaign that has not sent anything."""
    campaign = get_campaign_for_user(request.user, pk)
    _require_manage(request)
    try:
        campaign_services.delete_campaign(campaign, actor=request.user)
    except Conflict as error:
        messages.error(request, str(error))
        return redirect("campaigns:detail", pk=campaign.pk)
    messages.success(request, _("Campaign deleted."))
    return redirect("campaigns:list")


@require_GET
@domain_errors
def campaign_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show a campaign: audience and exclusions, variants, schedule, progress and actions."""
    campaign = get_campaign_for_user(request.user, pk)
    # Until the snapshot is taken (a draft, or sending that has not started) the counts are live.
    counts = audience_counts(campaign) if campaign.snapshot_at is None else None
    variants = list(campaign.variants.select_related("template"))
    # An A/B test's results so far, per variant, once its sample has been taken.
    results = variant_results(campaign) if len(variants) > 1 and campaign.snapshot_at else None
    context = {
        "campaign": campaign,
        "variants": variants,
        "variant_rows": [
            (v, results.get(v.label, VariantResult()) if results is not None else None)
            for v in variants
        ],
        "include": list(campaign.segments.all()),
        "exclude": list(campaign.excluded_segments.all()),
        "counts": counts,
        "excluded_rows": counts.rows() if counts else sending.snapshot_exclusions(campaign),
        "progress": sending.progress(campaign),
        "send_form": SendForm(
            initial={"schedule_mode": campaign.schedule_mode, "scheduled_at": campaign.scheduled_at}
        ),
        "can_manage": may_manage_campaigns(request.user),
        "can_send": may_send_campaigns(request.user),
        "states": CampaignState,
    }
    return render(request, "campaigns/campaign_detail.html", context)


@require_GET
@domain_errors
def campaign_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Return the progress bar (polled by HTMX while the campaign sends)."""
    campaign = get_campaign_for_user(request.user, pk)
    return render(
        request,
        "campaigns/includes/progress.html",
        {"campaign": campaign, "progress": sending.progress(campaign), "states": CampaignState},
    )


# --- Sending -----------------------------------------------------------------------------------


def _require_send(request: AuthenticatedHttpRequest) -> None:
    _require_view(request)
    forbid_unless(may_send_campaigns(request.user), _("Your role cannot send campaigns."))


@require_POST
@domain_errors
def campaign_send(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Send the campaign now, or schedule it."""
    campaign = get_campaign_for_user(request.user, pk)
    _require_send(request)
    form = SendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose when to send."))
        return redirect("campaigns:detail", pk=campaign.pk)
    try:
        sent = sending.send_campaign(
            campaign,
            actor=request.user,
            mode=form.cleaned_data["schedule_mode"],
            at=form.cleaned_data.get("scheduled_at"),
        )
    except ValidationFailed as error:
        messages.error(request, " ".join(p for ps in error.errors.values() for p in ps))
    except Conflict as error:
        messages.error(request, str(error))
    else:
        if sent.state == CampaignState.SCHEDULED:
            messages.success(request, _("Campaign scheduled."))
        else:
            messages.success(request, _("The campaign is being sent."))
    return redirect("campaigns:detail", pk=campaign.pk)


def _state_change(
    request: AuthenticatedHttpRequest, pk: int, action: Any, done: str
) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk)
    _require_send(request)
    try:
        action(campaign, actor=request.user)
    except Conflict as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("campaigns:detail", pk=campaign.pk)


@require_POST
@domain_errors
def campaign_pause(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Pause a sending campaign."""
    return _state_change(request, pk, sending.pause_campaign, _("Campaign paused."))


@require_POST
@domain_errors
def campaign_resume(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Resume a paused campaign."""
    return _state_change(request, pk, sending.resume_campaign, _("Campaign resumed."))


@require_POST
@domain_errors
def campaign_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Cancel a campaign: what has not left never will."""
    return _state_change(request, pk, sending.cancel_campaign, _("Campaign cancelled."))


# --- Reports -----------------------------------------------------------------------------------


@require_GET
@domain_errors
def campaign_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show the campaign's report: figures per variant, links, time series, revenue and ROI."""
    campaign = get_campaign_for_user(request.user, pk)
    report = build_report(campaign)
    peak = max((max(o, c) for _p, o, c in report.series), default=0)
    return render(
        request,
        "campaigns/campaign_report.html",
        {
            "campaign": campaign,
            "report": report,
            "peak": peak or 1,
            "can_save_list": may_manage_segments(request.user),
        },
    )


REPORT_COLUMNS = (
    ("recipients", gettext_lazy("Recipients")),
    ("sent", gettext_lazy("Sent")),
    ("failed", gettext_lazy("Failed")),
    ("delivered", gettext_lazy("Delivered")),
    ("bounced_hard", gettext_lazy("Bounced (hard)")),
    ("bounced_soft", gettext_lazy("Bounced (soft)")),
    ("unique_opens", gettext_lazy("Unique opens")),
    ("total_opens", gettext_lazy("Total opens")),
    ("machine_opens", gettext_lazy("Opens by machines (not counted)")),
    ("unique_clicks", gettext_lazy("Unique clicks")),
    ("total_clicks", gettext_lazy("Total clicks")),
    ("machine_clicks", gettext_lazy("Clicks by scanners (not counted)")),
    ("unsubscribed", gettext_lazy("Unsubscribed")),
    ("complained", gettext_lazy("Complaints")),
    ("orders", gettext_lazy("Orders attributed")),
    ("revenue", gettext_lazy("Revenue attributed")),
)


@require_GET
@domain_errors
def campaign_report_export(
    request: AuthenticatedHttpRequest, pk: int, fmt: str
) -> HttpResponseBase:
    """Download the report's figures (total and per variant) as CSV or XLSX."""
    campaign = get_campaign_for_user(request.user, pk)
    report = build_report(campaign)
    details = variant_details(campaign)

    def described(label: str) -> list[Any]:
        """Return what a variant's messages carried: winner, subjects, sender, template."""
        found = details.get(label)
        if found is None:
            return ["", "", "", "", ""]
        winner = _("Winner") if found.winner and len(details) > 1 else ""
        return [winner, found.subject_es, found.subject_en, found.sender, found.template]

    # Without an A/B test the one row is the whole campaign: it carries variant A's details.
    total_details = described("A") if not report.variants else described("")
    rows = [
        [
            f.label or _("All"),
            *(described(f.label) if f.label else total_details),
            *(getattr(f, key) for key, _label in REPORT_COLUMNS),
        ]
        for f in [report.total, *report.variants]
    ]
    return export_download(
        actor=request.user,
        kind="campaign_report",
        fmt=fmt,
        headers=[
            _("Variant"),
            _("Winner"),
            _("Subject (Spanish)"),
            _("Subject (English)"),
            _("Sender"),
            _("Template"),
            *(label for _key, label in REPORT_COLUMNS),
        ],
        rows=rows,
        name=f"campaign-{campaign.pk}",
        title=_("Report of the campaign “%(name)s”") % {"name": campaign.name},
        count=len(rows),
        filters={"campaign": campaign.pk},
    )


def _drill(request: AuthenticatedHttpRequest, campaign: Campaign) -> tuple[str, str, Any]:
    metric = request.GET.get("metric") or request.POST.get("metric") or "recipients"
    metric = metric if metric in METRICS else "recipients"
    variant = request.GET.get("variant") or request.POST.get("variant") or ""
    variant = variant if variant in ("A", "B") else ""
    contacts = contacts_visible_to(request.user).filter(
        pk__in=metric_contacts(campaign, metric, variant or None).values("pk")
    )
    return metric, variant, contacts


@require_GET
@domain_errors
def report_contacts(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """List the contacts behind one figure of the report (those the reader may see)."""
    campaign = get_campaign_for_user(request.user, pk)
    metric, variant, contacts = _drill(request, campaign)
    page = paginate(contacts.order_by("-id"), page_number(request.GET), cap=10_000)
    query = request.GET.copy()
    return render(
        request,
        "campaigns/report_contacts.html",
        {
            "campaign": campaign,
            "metric": metric,
            "variant": variant,
            "page": page,
            "form": SaveListForm(initial={"name": f"{campaign.name} · {metric}"[:120]}),
            "can_save_list": may_manage_segments(request.user),
            "prev_url": querystring(query, page=page.number - 1),
            "next_url": querystring(query, page=page.number + 1),
        },
    )


@require_POST
@domain_errors
def report_save_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Keep the contacts behind a figure as a static list."""
    campaign = get_campaign_for_user(request.user, pk)
    forbid_unless(may_manage_segments(request.user), _("Your role cannot change segments."))
    _metric, _variant, contacts = _drill(request, campaign)
    form = SaveListForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the list a name."))
        return redirect(reverse("campaigns:report_contacts", kwargs={"pk": campaign.pk}))
    try:
        segment = save_as_list(
            actor=request.user, name=form.cleaned_data["name"], contacts=contacts
        )
    except ValidationFailed as error:
        messages.error(request, " ".join(p for ps in error.errors.values() for p in ps))
        return redirect(reverse("campaigns:report_contacts", kwargs={"pk": campaign.pk}))
    messages.success(request, _("List saved."))
    return redirect("segments:detail", pk=segment.pk)
