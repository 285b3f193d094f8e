"""Leads from ad platforms and webhooks: verified, stored raw, processed by the worker like a form post.

Each lead source posts into one of our forms (its fields, tags, stage, welcome message and
routing apply). A verified request becomes a `Submission` with the source's kind and an
idempotency key made of the sender's lead id, so a retried or replayed delivery is one lead.
Meta's notice carries only the lead id: the submission is stored with the notice, and the
`meta` preparer fetches the lead from the Graph API when it is processed — again by the retry
job if the Graph API was down.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.core.events import Via, record_event
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.webforms.choices import LeadSourceKind, SourceVerb, SubmissionSource
from clientela.webforms.inbound import InboundLead, InboundRefused, google, meta, signed
from clientela.webforms.models import Form, LeadSource, Submission
from clientela.webforms.services.building import require_manager
from clientela.webforms.services.submitting import (
    Visit,
    store_submission,
    text_problems,
)

# InboundLead field -> the form input it fills (the rest keep their names).
INPUT_NAMES = {"company": "company_name"}
MAPPABLE = (
    "first_name", "last_name", "email", "phone", "city", "country", "company", "job_title",
    "birthday", "language",
)  # fmt: skip
SUBMISSION_KIND = {
    LeadSourceKind.META: SubmissionSource.META,
    LeadSourceKind.GOOGLE: SubmissionSource.GOOGLE,
    LeadSourceKind.WEBHOOK: SubmissionSource.WEBHOOK,
}


def graph_url() -> str:
    """Return the Graph API's base URL (a local fake in tests)."""
    return str(settings.CLIENTELA["META_GRAPH_URL"])


def lead_payload(lead: InboundLead) -> dict[str, Any]:
    """Return a lead as a form payload: contact inputs, UTM inputs, and the lead kept whole."""
    payload: dict[str, Any] = {
        INPUT_NAMES.get(name, name): value for name, value in lead.fields.items()
    }
    payload.update(
        {key: value for key, value in lead.attribution.items() if key.startswith("utm_")}
    )
    payload["_lead"] = {
        "source": lead.source,
        "id": lead.external_id,
        "answers": lead.extra,
        "attribution": lead.attribution,
        "test": lead.is_test,
    }
    return payload


def _counted(source: LeadSource, *, refused: bool) -> None:
    if refused:
        LeadSource.objects.filter(pk=source.pk).update(refused=F("refused") + 1)
    else:
        LeadSource.objects.filter(pk=source.pk).update(
            received=F("received") + 1, last_received_at=timezone.now()
        )


def _take(source: LeadSource, payload: dict[str, Any], key: str, visit: Visit) -> Submission:
    # What no database can store (NUL, lone surrogates) is refused before anything is written:
    # the raw payload is stored as sent, so it must be storable as it is.
    problems: dict[str, list[str]] = {}
    text_problems({"_key": key, **payload}, problems)
    if problems:
        with _refusing(source):
            raise InboundRefused("unstorable characters")
    submission, created = store_submission(
        source.form,
        payload=payload,
        visit=visit,
        idempotency_key=key[:64],
        source=SUBMISSION_KIND[LeadSourceKind(source.kind)],
    )
    if created:  # the worker turns it into a contact (woken when this commits)
        _counted(source, refused=False)
    return submission


@contextmanager
def _refusing(source: LeadSource) -> Iterator[None]:
    """Count a refused request against the source, then let the refusal through."""
    try:
        yield
    except InboundRefused:
        _counted(source, refused=True)
        raise


def meta_handshake(source: LeadSource, params: Mapping[str, str]) -> str:
    """Answer Meta's subscription handshake with its challenge (InboundRefused otherwise)."""
    with _refusing(source):
        return meta.challenge_answer(params, source.verify_token)


def receive_meta(source: LeadSource, body: bytes, signature: str, visit: Visit) -> list[Submission]:
    """Take a signed Meta notification: one submission per lead it announces."""
    with _refusing(source):
        meta.check_signature(body, signature, source.app_secret)
        notices = meta.lead_notices(body)
    return [
        _take(
            source,
            {"_meta": {**asdict(notice), "lead_source": source.public_id}},
            f"meta:{notice.leadgen_id}",
            visit,
        )
        for notice in notices
    ]


def prepare_meta_submission(submission: Submission) -> None:
    """Fetch a Meta lead announced by a stored notice into its payload (the preparer)."""
    payload = submission.payload if isinstance(submission.payload, dict) else {}
    if "_lead" in payload:
        return
    notice_data = payload.get("_meta") or {}
    source = LeadSource.objects.filter(public_id=str(notice_data.get("lead_source", ""))).first()
    if source is None:
        raise ValidationFailed({"__all__": [_("The lead source of this lead no longer exists.")]})
    notice = meta.LeadNotice(
        **{k: str(notice_data.get(k, "")) for k in ("leadgen_id", "form_id", "page_id", "ad_id")}
    )
    try:
        data = meta.fetch_lead(
            notice,
            base_url=graph_url(),
            access_token=source.access_token,
            app_secret=source.app_secret,
        )
    except InboundRefused as exc:
        raise ValidationFailed(
            {"__all__": [_("Meta's Graph API did not give the lead: %(reason)s") % {
                "reason": exc.reason}]}
        ) from exc  # fmt: skip
    submission.payload = {**lead_payload(meta.read_lead(data, notice)), "_meta": notice_data}
    submission.save(update_fields=["payload"])


def receive_google(source: LeadSource, body: bytes, visit: Visit) -> Submission:
    """Take a Google Ads lead-form webhook carrying this source's key."""
    with _refusing(source):
        lead = google.read_webhook(body, source.secret)
    return _take(source, lead_payload(lead), f"google:{lead.external_id}", visit)


def receive_webhook(
    source: LeadSource, body: bytes, header: str, visit: Visit, *, now: float | None = None
) -> Submission:
    """Take a signed JSON webhook; a replay (same lead id or signature) is the same lead."""
    with _refusing(source):
        key = signed.check_signature(
            body, header, source.secret, now=time.time() if now is None else now
        )
        lead = signed.read_webhook(
            body, mapping=source.mapping or {}, id_path=source.id_path, replay_key=key
        )
    return _take(source, lead_payload(lead), f"webhook:{lead.external_id}", visit)


# --- Managing sources -----------------------------------------------------------------------


def _source_values(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 120:
        errors["name"] = [_("Give the source a name (at most 120 characters).")]
    values["name"] = name
    if creating:
        kind = str(data.get("kind") or "")
        if kind not in LeadSourceKind.values:
            errors["kind"] = [_("Choose where the leads come from.")]
        values["kind"] = kind
    form = Form.objects.filter(pk=data.get("form") or 0).first() if str(
        data.get("form") or ""
    ).isdigit() else None  # fmt: skip
    if form is None:
        errors["form"] = [_("Choose the form these leads fill in.")]
    values["form"] = form
    values["app_secret"] = str(data.get("app_secret") or "").strip()[:200]
    values["access_token"] = str(data.get("access_token") or "").strip()[:2000]
    mapping = data.get("mapping") or {}
    if not isinstance(mapping, Mapping):
        errors["mapping"] = [_("Give one line per field: field = path.in.the.json")]
        mapping = {}
    unknown = [key for key in mapping if key not in MAPPABLE]
    if unknown:
        errors["mapping"] = [
            _("These are not contact fields: %(names)s.") % {"names": ", ".join(unknown)}
        ]
    values["mapping"] = {str(k): str(v)[:200] for k, v in mapping.items() if str(v).strip()}
    values["id_path"] = str(data.get("id_path") or "").strip()[:200]
    values["is_active"] = bool(data.get("is_active", True))
    if errors:
        raise ValidationFailed(errors)
    return values


def create_lead_source(*, actor: User, data: Mapping[str, Any], via: str = Via.UI) -> LeadSource:
    """Create a lead source with fresh secrets; its URL is shown to paste at the sender."""
    require_manager(actor)
    values = _source_values(data, creating=True)
    with transaction.atomic():
        source = LeadSource.objects.create(created_by=actor, **values)
        record_event(SourceVerb.SAVED, actor=actor, target=source, via=via,
                     data={"name": source.name, "kind": source.kind})  # fmt: skip
    return source


def update_lead_source(
    source: LeadSource,
    *,
    actor: User,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    via: str = Via.UI,
) -> LeadSource:
    """Change a lead source (its kind and secrets stay); Conflict on a stale version."""
    require_manager(actor)
    values = _source_values(data, creating=False)
    with transaction.atomic():
        locked = LeadSource.objects.select_for_update().get(pk=source.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(_("Someone changed this source meanwhile. Reload it and try again."))
        if not values["app_secret"]:
            values.pop("app_secret")  # left empty in the form: keep the stored one
        if not values["access_token"]:
            values.pop("access_token")
        for key, value in values.items():
            setattr(locked, key, value)
        locked.version += 1
        locked.save()
        record_event(SourceVerb.SAVED, actor=actor, target=locked, via=via,
                     data={"name": locked.name, "kind": locked.kind})  # fmt: skip
    return locked


def delete_lead_source(source: LeadSource, *, actor: User, via: str = Via.UI) -> None:
    """Delete a lead source: its URL stops answering; its leads stay."""
    require_manager(actor)
    with transaction.atomic():
        record_event(SourceVerb.DELETED, actor=actor, target=source, via=via,
                     data={"name": source.name, "kind": source.kind})  # fmt: skip
        source.delete()
