"""Segment screens: list, builder with live count, detail with members and growth, "why", lists.

Adapters only: reads come from segments.queries (members always through contacts_visible_to),
writes from segments.services, which check the capability again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Window
from django.http import HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.queries import contacts_visible_to, search_q
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.exports import export_download
from clientela.core.http import (
    PAGE_SIZE,
    Page,
    domain_errors,
    forbid_unless,
    page_number,
    querystring,
    require,
    wants_partial,
)
from clientela.core.import_screens import UploadForm
from clientela.core.users import AuthenticatedHttpRequest
from clientela.segments import services
from clientela.segments.choices import SegmentKind
from clientela.segments.forms import (
    ContactsForm,
    SaveAsListForm,
    SearchForm,
    SegmentForm,
    StaticListForm,
    builder_catalogue,
    read_definition,
)
from clientela.segments.models import Segment
from clientela.segments.queries import (
    definition_members_for_user,
    describe_tree,
    explain_for_user,
    get_segment_for_user,
    growth_for_user,
    is_scoped,
    list_candidates,
    may_manage_segments,
    may_see_segments,
    members_for_user,
    readable,
    segments_visible_to,
    tree_of,
    uses_of,
    visible_member_counts,
)
from clientela.segments.tree import DefinitionError, parse

PREVIEW_MEMBERS = 10
SEARCH_RESULTS = 8


def _require_see(user: User) -> None:
    require(may_see_segments(user))


def _require_manage(user: User) -> None:
    forbid_unless(may_manage_segments(user), _("Your role cannot change segments."))


def count_text(count: int, scoped: bool) -> str:
    """Say "N contacts", or "N contacts you can see" to a viewer who sees only part of them."""
    shown = number_format(count, force_grouping=True)
    if scoped:
        return ngettext("%(n)s contact you can see", "%(n)s contacts you can see", count) % {
            "n": shown
        }
    return ngettext("%(n)s contact", "%(n)s contacts", count) % {"n": shown}


@require_GET
@domain_errors
def segment_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every segment and list with its members the viewer may see."""
    _require_see(request.user)
    segments = list(segments_visible_to(request.user))
    counts = visible_member_counts(request.user, segments)
    scoped = is_scoped(request.user)
    rows = [(segment, counts.get(segment.pk, 0)) for segment in segments]
    return render(
        request,
        "segments/segment_list.html",
        {
            "rows": rows,
            "scoped": scoped,
            "can_manage": may_manage_segments(request.user),
        },
    )


# --- Builder ---------------------------------------------------------------------------------


def _flat(errors: Mapping[str, Any]) -> list[str]:
    """Every message of an error mapping whose values are a message or a list of them."""
    return [
        str(message)
        for raw in errors.values()
        for message in (raw if isinstance(raw, list | tuple) else [raw])
    ]


def _split_errors(form: Any, error: ValidationFailed) -> dict[str, list[str]]:
    """Put a service's field errors on the form; return the definition's, keyed by tree path."""
    tree_errors: dict[str, list[str]] = {}
    for key, raw in error.errors.items():
        messages_ = [str(m) for m in raw] if isinstance(raw, list | tuple) else [str(raw)]
        if key == "definition" or key.startswith("definition."):
            tree_errors[key.removeprefix("definition").removeprefix(".")] = messages_
        else:
            for message in messages_:
                form.add_error(key if key in form.fields else None, message)
    if tree_errors:
        form.add_error(None, _("Some conditions need a correction (marked below)."))
    return tree_errors


def _builder(
    request: AuthenticatedHttpRequest,
    form: SegmentForm,
    *,
    segment: Segment | None,
    definition: Any,
    tree_errors: Mapping[str, list[str]],
) -> HttpResponse:
    return render(
        request,
        "segments/segment_form.html",
        {
            "form": form,
            "segment": segment,
            "catalogue": builder_catalogue(segment.pk if segment else None),
            "definition": definition if isinstance(definition, dict) else {},
            "tree_errors": dict(tree_errors),
            "scoped": is_scoped(request.user),
        },
    )


def _posted_definition(form: SegmentForm) -> Any:
    """Read what the builder sent, to show it again after an error (nothing when unreadable)."""
    try:
        return read_definition(str(form.data.get("definition") or ""))
    except ValidationError:  # a definition that does not read starts over
        return {}


@require_http_methods(["GET", "POST"])
@domain_errors
def segment_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Build a dynamic segment with the condition builder and save it."""
    _require_manage(request.user)
    form = SegmentForm(request.POST or None)
    tree_errors: dict[str, list[str]] = {}
    definition: Any = {"all": []}
    if request.method == "POST":
        definition = _posted_definition(form)
        if form.is_valid():
            data = form.cleaned_data
            try:
                segment = services.create_segment(
                    actor=request.user,
                    data={
                        "name": data["name"],
                        "description": data["description"],
                        "definition": data["definition"],
                    },
                )
            except ValidationFailed as exc:
                tree_errors = _split_errors(form, exc)
            else:
                messages.success(request, _("Segment saved."))
                return redirect("segments:detail", pk=segment.pk)
    return _builder(request, form, segment=None, definition=definition, tree_errors=tree_errors)


@require_http_methods(["GET", "POST"])
@domain_errors
def list_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create an empty static list (members are added on its page)."""
    _require_manage(request.user)
    form = StaticListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            segment = services.create_segment(
                actor=request.user, data=form.cleaned_data, kind=SegmentKind.STATIC
            )
        except ValidationFailed as exc:
            _split_errors(form, exc)
        else:
            messages.success(request, _("List created. Add contacts to it below."))
            return redirect("segments:detail", pk=segment.pk)
    return render(request, "segments/list_form.html", {"form": form, "segment": None})


@require_http_methods(["GET", "POST"])
@domain_errors
def segment_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a segment's name, description and conditions (a list's name and description)."""
    segment = get_segment_for_user(request.user, pk, write=True)
    initial = {
        "name": segment.display_name,
        "description": segment.display_description,
        "version": segment.version,
    }
    if segment.is_static:
        list_form = StaticListForm(request.POST or None, initial=initial)
        saved = request.method == "POST" and list_form.is_valid()
        if saved and _update(request, list_form, segment, list_form.cleaned_data)[0]:
            return redirect("segments:detail", pk=segment.pk)
        return render(request, "segments/list_form.html", {"form": list_form, "segment": segment})
    form = SegmentForm(request.POST or None, initial=initial)
    definition: Any = segment.definition
    tree_errors: dict[str, list[str]] = {}
    if request.method == "POST":
        definition = _posted_definition(form)
        if form.is_valid():
            data = form.cleaned_data
            payload = {
                "name": data["name"],
                "description": data["description"],
                "definition": data["definition"],
            }
            saved, tree_errors = _update(
                request, form, segment, payload, version=data.get("version")
            )
            if saved:
                return redirect("segments:detail", pk=segment.pk)
    return _builder(request, form, segment=segment, definition=definition, tree_errors=tree_errors)


def _update(
    request: AuthenticatedHttpRequest,
    form: Any,
    segment: Segment,
    data: Mapping[str, Any],
    *,
    version: int | None = None,
) -> tuple[bool, dict[str, list[str]]]:
    """Save through the service; answer whether it saved and the definition's errors by path.

    The other errors go on the form.
    """
    try:
        services.update_segment(segment, actor=request.user, data=data, version=version)
    except ValidationFailed as exc:
        return False, _split_errors(form, exc)
    except Conflict as exc:
        form.add_error(None, str(exc))
        return False, {}
    messages.success(request, _("Segment saved."))
    return True, {}


@require_POST
@domain_errors
def preview(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Count the members of an unsaved definition the viewer may see and list the first few."""
    _require_manage(request.user)
    try:
        tree = parse(read_definition(str(request.POST.get("definition") or "")))
    except DefinitionError as exc:
        return JsonResponse({"errors": exc.errors})
    except ValidationError as exc:
        return JsonResponse({"errors": {"": list(exc.messages)}})
    members = definition_members_for_user(request.user, tree)
    # One evaluation of the conditions: the first members carry the count of all of them.
    first = list(
        members.annotate(total=Window(Count("pk"))).values(
            "pk", "first_name", "last_name", "email", "total"
        )[:PREVIEW_MEMBERS]
    )
    count = int(first[0]["total"]) if first else 0
    return JsonResponse(
        {
            "errors": {},
            "count": count,
            "count_text": count_text(count, is_scoped(request.user)),
            "members": [
                {
                    "name": f"{row['first_name']} {row['last_name']}".strip()
                    or row["email"]
                    or f"#{row['pk']}",
                    "email": row["email"],
                    "url": reverse("contacts:contact_detail", args=[row["pk"]]),
                }
                for row in first
            ],
        }
    )


# --- Detail -------------------------------------------------------------------------------------


def _members_page(request: AuthenticatedHttpRequest, qs: Any, total: int) -> Page:
    number = page_number(request.GET)
    offset = (number - 1) * PAGE_SIZE
    rows = list(qs[offset : offset + PAGE_SIZE + 1])
    return Page(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE, total)


def _max_growth(days: list[Any]) -> int:
    return int(max([1, *(max(day.entered, day.left) for day in days)]))


@require_GET
@domain_errors
def segment_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show a segment: members the viewer may see, its conditions, growth and "why not?"."""
    segment = get_segment_for_user(request.user, pk)
    members = members_for_user(request.user, segment).select_related("company")
    total = members.count()
    page = _members_page(request, members, total)
    can_manage = may_manage_segments(request.user)
    context: dict[str, Any] = {
        "segment": segment,
        "page": page,
        "total": total,
        "total_text": count_text(total, is_scoped(request.user)),
        "scoped": is_scoped(request.user),
        "prev_url": querystring(request.GET, page=page.number - 1),
        "next_url": querystring(request.GET, page=page.number + 1),
        "hx_target": "#members",
        "can_manage": can_manage,
        "can_export": has_capability(request.user, "contacts.export"),
    }
    if wants_partial(request, "members"):
        return render(request, "segments/segment_detail.html#members", context)
    days = growth_for_user(request.user, segment)
    context.update(
        {
            "described": None if segment.is_static else describe_tree(tree_of(segment)),
            "growth": days,
            "growth_max": _max_growth(days),
            "save_form": SaveAsListForm(
                initial={
                    "name": _("%(name)s on %(date)s")
                    % {"name": segment.name, "date": timezone.localdate().isoformat()}
                }
            ),
        }
    )
    return render(request, "segments/segment_detail.html", context)


@require_GET
@domain_errors
def why(request: AuthenticatedHttpRequest, pk: int, contact_id: int) -> HttpResponse:
    """Why a contact the viewer may see is in the segment, or why not: every condition."""
    segment = get_segment_for_user(request.user, pk)
    answer = explain_for_user(request.user, segment, contact_id)
    explanation = readable(answer.explanation) if answer.explanation else None
    return render(
        request,
        "segments/why.html",
        {"segment": segment, "why": answer, "explanation": explanation},
    )


@require_GET
@domain_errors
def why_not(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Contacts the viewer may see matching a name, each linked to its explanation."""
    segment = get_segment_for_user(request.user, pk)
    form = SearchForm(request.GET)
    text = form.text()
    found = (
        list(
            contacts_visible_to(request.user)
            .filter(search_q(text))
            .select_related("company")
            .order_by("last_name", "first_name", "pk")[:SEARCH_RESULTS]
        )
        if len(text) >= 2
        else []
    )
    context = {"segment": segment, "found": found, "q": text, "searched": len(text) >= 2}
    template = "segments/includes/why_not_results.html"
    if not wants_partial(request):
        template = "segments/why_not.html"
    return render(request, template, context)


def _member_rows(qs: Any) -> Iterator[list[Any]]:
    for contact in qs.iterator(chunk_size=2000):
        yield [
            contact.pk,
            contact.first_name,
            contact.last_name,
            contact.email,
            contact.phone,
            contact.company.name if contact.company else "",
            contact.city,
            contact.country,
            contact.get_lifecycle_stage_display(),
            str(contact.owner) if contact.owner else "",
        ]


@require_GET
@domain_errors
def export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    """Download the members the viewer may see as CSV or XLSX (audited by core.exports)."""
    segment = get_segment_for_user(request.user, pk)
    forbid_unless(
        has_capability(request.user, "contacts.export"), _("Your role cannot export records.")
    )
    members = members_for_user(request.user, segment).select_related("company", "owner")
    headers = [
        _("ID"), _("First name"), _("Last name"), _("E-mail"), _("Phone"), _("Company"),
        _("City"), _("Country"), _("Lifecycle stage"), _("Owner"),
    ]  # fmt: skip
    return export_download(
        actor=request.user,
        kind="segment_members",
        fmt=fmt,
        headers=headers,
        rows=_member_rows(members),
        name=_("segment"),
        title=_("Members of “%(name)s”") % {"name": segment.name},
        sheet_title=_("Members"),
        filters={"segment": segment.pk},
    )


@require_http_methods(["GET", "POST"])
@domain_errors
def segment_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Ask, then delete a segment or list; refused while other segments use it."""
    segment = get_segment_for_user(request.user, pk, write=True)
    if request.method == "POST":
        try:
            services.delete_segment(segment, actor=request.user)
        except Conflict as exc:
            messages.error(request, str(exc))
            return redirect("segments:detail", pk=segment.pk)
        messages.success(request, _("“%(name)s” deleted.") % {"name": segment.name})
        return redirect("segments:list")
    return render(
        request,
        "segments/confirm_delete.html",
        {"segment": segment, "used_by": uses_of(segment)},
    )


# --- Static lists ------------------------------------------------------------------------------


def _static_list(request: AuthenticatedHttpRequest, pk: int) -> Segment:
    segment = get_segment_for_user(request.user, pk, write=True)
    require(segment.is_static)
    return segment


@require_GET
@domain_errors
def list_candidates_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Contacts to add to a static list, found by name, e-mail or phone (HTMX fragment)."""
    segment = _static_list(request, pk)
    text = SearchForm(request.GET).text()
    found = list_candidates(request.user, segment, text)
    return render(
        request,
        "segments/includes/candidates.html",
        {"segment": segment, "found": found, "searched": len(text) >= 2},
    )


@require_POST
@domain_errors
def list_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add contacts the user may see to a static list."""
    segment = _static_list(request, pk)
    form = ContactsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(_flat(form.errors)))
        return redirect("segments:detail", pk=segment.pk)
    added = services.add_to_list(segment, form.cleaned_data["contact"], actor=request.user)
    messages.success(
        request, ngettext("%(n)d contact added.", "%(n)d contacts added.", added) % {"n": added}
    )
    return redirect("segments:detail", pk=segment.pk)


@require_http_methods(["GET", "POST"])
@domain_errors
def list_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add the contacts a CSV/XLSX file names to a static list; show every row left out."""
    segment = _static_list(request, pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.fill_list_from_file(
                segment, upload, filename=upload.name, actor=request.user
            )
        except ValidationFailed as error:
            for message in _flat(error.errors):
                form.add_error("file", message)
        else:
            segment.refresh_from_db()
    return render(
        request,
        "segments/list_upload.html",
        {"segment": segment, "form": form, "result": result},
    )


@require_POST
@domain_errors
def list_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Take contacts the user may see out of a static list."""
    segment = _static_list(request, pk)
    form = ContactsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(_flat(form.errors)))
        return redirect("segments:detail", pk=segment.pk)
    removed = services.remove_from_list(segment, form.cleaned_data["contact"], actor=request.user)
    messages.success(
        request,
        ngettext("%(n)d contact removed.", "%(n)d contacts removed.", removed) % {"n": removed},
    )
    return redirect("segments:detail", pk=segment.pk)


@require_POST
@domain_errors
def save_as_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Keep a segment's current members (those the user may see) as a new static list."""
    segment = get_segment_for_user(request.user, pk)
    _require_manage(request.user)
    form = SaveAsListForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(_flat(form.errors)))
        return redirect("segments:detail", pk=segment.pk)
    try:
        new = services.save_as_list(
            actor=request.user,
            name=form.cleaned_data["name"],
            contacts=members_for_user(request.user, segment),
            description=_("Members of “%(name)s” on %(date)s")
            % {"name": segment.name, "date": timezone.localdate().isoformat()},
        )
    except ValidationFailed as exc:
        messages.error(request, " ".join(_flat(exc.errors)))
        return redirect("segments:detail", pk=segment.pk)
    messages.success(request, _("List saved with the segment's current members."))
    return redirect("segments:detail", pk=new.pk)
