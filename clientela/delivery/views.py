"""The outbox screens: every outbound message, its headers and answer; cancel and resend."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientela.core.exceptions import Conflict
from clientela.core.http import (
    domain_errors,
    forbid_unless,
    page_number,
    paginate,
    querystring,
    require,
    wants_partial,
)
from clientela.core.users import AuthenticatedHttpRequest
from clientela.delivery import services
from clientela.delivery.choices import MessageState
from clientela.delivery.forms import MessageFilterForm
from clientela.delivery.kinds import kind_label
from clientela.delivery.queries import (
    attachments_of,
    filter_messages,
    get_message_for_user,
    may_manage_messages,
    may_view_messages,
)
from clientela.delivery.services.sending import build_email

COUNT_CAP = 10_000
# MIME plumbing the reader does not need to see; Date is set when the message is sent.
HIDDEN_HEADERS = frozenset({"content-type", "mime-version", "content-transfer-encoding", "date"})


@require_GET
@domain_errors
def message_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the outbox, newest first, filtered by state, kind and recipient, 50 a page."""
    require(may_view_messages(request.user))
    form = MessageFilterForm(request.GET or None)
    filters = form.to_filters()
    page = paginate(filter_messages(request.user, filters), page_number(request.GET), cap=COUNT_CAP)
    rows = [{"message": message, "kind": kind_label(message.kind)} for message in page.rows]
    query = request.GET.copy()
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": rows,
        "filtered": filters.active(),
        "prev_url": querystring(query, page=page.number - 1),
        "next_url": querystring(query, page=page.number + 1),
    }
    template = "delivery/message_list.html"
    if wants_partial(request):
        template += "#results"
    return render(request, template, context)


@require_GET
@domain_errors
def message_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show one message: its headers, the server's answer, and the HTML part sandboxed."""
    message = get_message_for_user(request.user, pk)
    mime = build_email(message).message()
    headers = [
        (name, str(value)) for name, value in mime.items() if name.lower() not in HIDDEN_HEADERS
    ]
    context: dict[str, Any] = {
        "message": message,
        "kind_label": kind_label(message.kind),
        "headers": headers,
        "attachments": attachments_of(message),
        "can_manage": may_manage_messages(request.user),
        "can_cancel": message.state == MessageState.QUEUED,
        "can_retry": message.state == MessageState.FAILED,
    }
    return render(request, "delivery/message_detail.html", context)


@require_POST
@domain_errors
def message_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Cancel a queued message."""
    message = get_message_for_user(request.user, pk)
    forbid_unless(may_manage_messages(request.user), _("Your role cannot cancel messages."))
    try:
        services.cancel_message(message, actor=request.user)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Message cancelled."))
    return redirect("delivery:message_detail", pk=message.pk)


@require_POST
@domain_errors
def message_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Queue a failed message again."""
    message = get_message_for_user(request.user, pk)
    forbid_unless(may_manage_messages(request.user), _("Your role cannot resend messages."))
    try:
        services.retry_message(message, actor=request.user)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Message queued again."))
    return redirect("delivery:message_detail", pk=message.pk)
