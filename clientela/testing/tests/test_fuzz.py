"""The security probe of issue 11 as part of the suite: every API write, every API list filter and
every UI form gets hostile input (clientela/testing/fuzz.py) and must answer without a 5xx,
and a rejected write must leave no row behind.

Endpoints are discovered, never listed: API operations from the OpenAPI document, UI forms from
the URL configuration (every route whose view accepts POST). A new endpoint is fuzzed the day
it exists; if it needs a record in its path that the world below cannot provide, the discovery
test fails and names it — add it to PATH_VALUES / ROUTE_KWARGS. A route may only be left out
in FORM_EXCLUSIONS, with the reason.

Each family gets CLIENTELA_FUZZ_EXAMPLES cases in total (1,000 by default), spread over its
endpoints; set the variable higher for a longer run.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientela.accounts.models import ApiToken, Role, User
from clientela.accounts.services import create_token
from clientela.accounts.tests.factories import DepartmentFactory
from clientela.activities import services as activity_services
from clientela.api import api
from clientela.billing.tests.factories import build_world as build_billing_world
from clientela.campaigns.tests.factories import build_screens_world
from clientela.catalog.tests.factories import build_world as build_catalog_world
from clientela.contacts import services
from clientela.contacts.choices import CustomFieldType, Entity
from clientela.contacts.importing.jobs import start_import
from clientela.contacts.tests.factories import CustomFieldFactory
from clientela.core.models import Job
from clientela.deals import lines as deal_lines
from clientela.deals.tests.factories import (
    EnteredDealFactory,
    LostReasonFactory,
    StageRuleFactory,
    real_estate_pipeline,
    stage_named,
)
from clientela.delivery.links import UNSUBSCRIBE, sign
from clientela.delivery.tests.factories import MessageFactory, SuppressionFactory
from clientela.orders import services as order_services
from clientela.segments.choices import SegmentKind
from clientela.segments.tests.factories import EnteredSegmentFactory
from clientela.testing.fuzz import (
    form_data,
    hostile_text,
    json_body,
    per_endpoint,
    query_params,
    row_counts,
)
from clientela.tracking.tests.factories import EnteredSiteFactory
from clientela.webforms.tests.factories import (
    AssignmentRuleFactory,
    LandingPageFactory,
    LeadSourceFactory,
    SubmissionFactory,
    webinar_form,
)

WRITE_METHODS = {"post", "put", "patch", "delete"}
HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


# --- the world every request is made against -------------------------------------------------


@dataclass
class World:
    """Records the endpoints' paths point at (owned by rep; the caller is the administrator)."""

    admin: User
    contact: int
    company: int
    merge: int
    merge_survivor: int
    user: int
    department: int
    role: Role
    token: int
    custom_field: int
    order: int
    rate: int
    import_job: int
    job: int
    segment: int
    segment_list: int
    form: int
    form_public_id: str
    landing_page: int
    lead_source: int
    routing_rule: int
    form_field: int
    form_consent: int
    submission: int
    activity: int
    notification: int
    tracked_site: int
    email_template: int
    campaign: int
    suppression: int
    message_token: str
    pipeline: int
    stage: int
    deal: int
    lost_reason: int
    stage_rule: int
    product: int
    photo: int
    attribute: int
    deal_line: int
    quote: int
    invoice: int
    payment: int


@pytest.fixture
def world(personas: Any) -> World:
    """One of each record an API path or UI route can name."""
    rep, admin = personas.rep, personas.admin
    company = services.create_company(actor=rep, data={"name": "Inmobiliaria Andina"})
    contact = services.create_contact(
        actor=rep, data={"first_name": "Ana", "email": "ana@example.co", "company": company.pk}
    )
    survivor = services.create_contact(actor=rep, data={"first_name": "Luis"})
    merged = services.create_contact(actor=rep, data={"first_name": "Luis Alberto"})
    merge = services.merge_contacts(survivor, merged, actor=admin)
    token, _raw = create_token(rep, actor=rep, name="para revocar")
    field = CustomFieldFactory.create(
        entity=Entity.CONTACT, key="presupuesto", label_es="Presupuesto",
        field_type=CustomFieldType.NUMBER,
    )  # fmt: skip
    order = order_services.create_order(
        actor=admin,
        data={"contact": contact.pk, "ordered_at": "2026-03-01T10:00:00-05:00", "amount": 125000},
    )
    rate = order_services.set_rate(actor=admin, currency="USD", day="2026-03-01", rate="4150")
    web_form = webinar_form()
    pipeline = real_estate_pipeline()
    upload = b"nombre;correo\nEva;eva@example.co\n"
    campaign_world = build_screens_world(personas)
    import_job = start_import(
        actor=admin, upload=io.BytesIO(upload), filename="c.csv", language="en"
    )
    deal = EnteredDealFactory.create(actor=rep, pipeline=pipeline, contact=contact)
    catalog_world = build_catalog_world(personas)
    billing_world = build_billing_world(personas)
    return World(
        admin=admin,
        contact=contact.pk,
        company=company.pk,
        merge=merge.pk,
        merge_survivor=survivor.pk,
        user=rep.pk,
        department=DepartmentFactory.create(name="Temporal").pk,
        role=Role.objects.get(code="mercadeo"),
        token=token.pk,
        custom_field=field.pk,
        order=order.pk,
        rate=rate.pk,
        import_job=import_job.pk,
        job=Job.objects.order_by("id").values_list("id", flat=True).first() or import_job.pk,
        segment=EnteredSegmentFactory.create(
            actor=admin, definition={"all": [{"field": "first_name", "op": "is", "value": "Ana"}]}
        ).pk,
        segment_list=EnteredSegmentFactory.create(actor=admin, kind=SegmentKind.STATIC).pk,
        form=web_form.pk,
        form_public_id=web_form.public_id,
        landing_page=LandingPageFactory.create().pk,
        lead_source=LeadSourceFactory.create(form=web_form).pk,
        routing_rule=AssignmentRuleFactory.create().pk,
        form_field=web_form.fields.order_by("position").values_list("pk", flat=True)[0],
        form_consent=web_form.consents.values_list("pk", flat=True)[0],
        submission=SubmissionFactory.create(form=web_form).pk,
        activity=activity_services.create_task(
            owner=rep, subject="Llamar", contact=contact, actor=rep
        ).pk,
        notification=activity_services.notify(admin, "Nuevo lead", url="/activities/").pk,
        tracked_site=EnteredSiteFactory.create(actor=admin).pk,
        email_template=campaign_world.template.pk,
        campaign=campaign_world.campaign.pk,
        suppression=SuppressionFactory.create().pk,
        message_token=MessageFactory.create(to_address="ana@example.co").token,
        pipeline=pipeline.pk,
        stage=stage_named(pipeline, "Agendado").pk,
        deal=deal.pk,
        lost_reason=LostReasonFactory.create().pk,
        stage_rule=StageRuleFactory.create(stage=stage_named(pipeline, "Cotizado")).pk,
        product=catalog_world.product.pk,
        photo=catalog_world.photo.pk,
        attribute=catalog_world.attribute.pk,
        deal_line=deal_lines.add_line(
            deal, actor=rep, description="Escrituración", unit_price="1000"
        ).pk,
        quote=billing_world.quote.pk,
        invoice=billing_world.invoice.pk,
        payment=billing_world.payment.pk,
    )


def bearer(user: User) -> dict[str, str]:
    """Headers authenticating as `user` with a fresh token (a fuzzed call may revoke one)."""
    User.objects.filter(pk=user.pk).update(is_active=True)
    _token, raw = create_token(user, actor=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}


def assert_no_server_error(response: Any, what: str) -> None:
    """A 5xx fails the test with the request that caused it."""
    assert response.status_code < 500, f"{what} → {response.status_code}"


def assert_nothing_left(before: dict[str, int], what: str, allowed: frozenset[str]) -> None:
    """A rejected write left every table as it was (except the tables in `allowed`)."""
    after = row_counts()
    changed = {
        k: (before[k], after[k]) for k in before if before[k] != after[k] and k not in allowed
    }
    assert not changed, f"{what} was refused but left rows behind: {changed}"


FUZZ_SETTINGS: Callable[[int], Any] = lambda examples: settings(  # noqa: E731
    max_examples=examples,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# --- API ---------------------------------------------------------------------------------------

# How to fill each path parameter of an API operation from the world.
PATH_VALUES: dict[str, Callable[[World], Any]] = {
    "contact_id": lambda w: w.contact,
    "company_id": lambda w: w.company,
    "merge_id": lambda w: w.merge,
    "user_id": lambda w: w.user,
    "department_id": lambda w: w.department,
    "token_id": lambda w: w.token,
    "code": lambda w: w.role.code,
    "segment_id": lambda w: w.segment,
    "form_id": lambda w: w.form,
    "public_id": lambda w: w.form_public_id,
    "page_id": lambda w: w.landing_page,
    "source_id": lambda w: w.lead_source,
    "rule_id": lambda w: w.routing_rule,
    "activity_id": lambda w: w.activity,
    "template_id": lambda w: w.email_template,
    "campaign_id": lambda w: w.campaign,
    "suppression_id": lambda w: w.suppression,
    "deal_id": lambda w: w.deal,
    "pipeline_id": lambda w: w.pipeline,
    "product_id": lambda w: w.product,
    "quote_id": lambda w: w.quote,
    "invoice_id": lambda w: w.invoice,
    "payment_id": lambda w: w.payment,
}


@dataclass(frozen=True)
class Operation:
    """One API operation of the served document."""

    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_fields: tuple[str, ...] | None
    public: bool = False  # no token: a view outside /api/ described in the document

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def api_operations() -> list[Operation]:
    """Every operation of the OpenAPI document, with its parameters and body field names."""
    document = api.get_openapi_schema()
    components = document["components"]["schemas"]
    found = []
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            params = spec.get("parameters", [])
            body = None
            content = spec.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                schema = content["schema"]
                if "$ref" in schema:
                    schema = components[schema["$ref"].rsplit("/", 1)[-1]]
                body = tuple(schema.get("properties", {}))
            found.append(
                Operation(
                    method,
                    path,
                    tuple(p["name"] for p in params if p["in"] == "path"),
                    tuple(p["name"] for p in params if p["in"] == "query"),
                    body,
                    spec.get("security") == [],
                )
            )
    return found


API_WRITES = [op for op in api_operations() if op.method in WRITE_METHODS]
API_FILTERS = [op for op in api_operations() if op.method == "get" and op.query_params]


def test_every_api_operation_can_be_fuzzed():
    operations = api_operations()
    assert API_WRITES and API_FILTERS, "no operations found: the discovery is broken"
    unknown = {p for op in operations for p in op.path_params} - set(PATH_VALUES)
    assert not unknown, f"say in PATH_VALUES how to fill these path parameters: {unknown}"


def _path(op: Operation, w: World, hostile: Any) -> str:
    values = {name: PATH_VALUES[name](w) for name in op.path_params}
    if hostile is not None and values:
        values[next(iter(values))] = hostile
    return op.path.format(**values)


@pytest.mark.django_db
@pytest.mark.parametrize("op", API_WRITES, ids=str)
def test_api_writes_survive_hostile_bodies(client: Client, world: World, op: Operation) -> None:
    body_strategy = json_body(op.body_fields or ()) if op.body_fields is not None else st.none()
    path_value = st.one_of(st.none(), st.none(), st.none(), hostile_text(surrogates=False))

    @FUZZ_SETTINGS(per_endpoint(len(API_WRITES)))
    @given(body=body_strategy, hostile_path=path_value)
    def run(body: Any, hostile_path: Any) -> None:
        url = _path(op, world, hostile_path).replace("#", "%23").replace("?", "%3F")
        headers = bearer(world.admin)
        before = row_counts()
        kwargs: dict[str, Any] = dict(headers)
        if op.body_fields is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, op.method)(url, **kwargs)
        what = f"{op} {url} {json.dumps(body)[:300]}"
        assert_no_server_error(response, what)
        # Public endpoints (views outside /api/) answer in the media types their part of the
        # document declares (pages, plain text, no body), held there by the schemathesis pass
        # and their own tests; every API operation answers JSON.
        if not op.public:
            assert response["Content-Type"].startswith("application/json"), what
        if response.status_code >= 400:
            # The caller's own fresh token is the only row a refused call may add.
            assert_nothing_left(before, what, frozenset({"accounts.apitoken"}))

    run()


@pytest.mark.django_db
@pytest.mark.parametrize("op", API_FILTERS, ids=str)
def test_api_list_filters_survive_hostile_values(
    client: Client, world: World, op: Operation
) -> None:
    headers: dict[str, Any] = dict(bearer(world.admin))

    @FUZZ_SETTINGS(per_endpoint(len(API_FILTERS)))
    @given(params=query_params(op.query_params))
    def run(params: dict[str, str]) -> None:
        response = client.get(_path(op, world, None), params, **headers)
        assert_no_server_error(response, f"{op} {params}")
        if not op.public:  # see test_api_writes_survive_hostile_bodies
            assert response["Content-Type"].startswith("application/json")

    run()


# --- UI forms ----------------------------------------------------------------------------------

# Routes whose view accepts POST but that are not fuzzed here, each with the reason.
FORM_EXCLUSIONS: dict[str, str] = {
    "accounts:logout": "ends the session every other example needs",
    "accounts:login_verify": "the second sign-in step needs a pending sign-in in the session "
    "(its code field is fuzzed through accounts:login's neighbour tests in test_views_auth)",
    "core:home": "a page without a method decorator: a POST renders it like a GET",
    "core:healthz": "the load balancer's check: reads nothing from the request",
    "webforms:public_fallback": "the 404 of malformed public form paths: reads nothing, writes "
    "nothing (the public submit itself is fuzzed as webforms:public and in webforms' own "
    "10,000-request test)",
}
# Routes fuzzed without signing in (they answer signed-in users with a redirect).
ANONYMOUS_ROUTES = {"accounts:login"}
# Tables a refused request may still write to, and why.
LOGGED_ON_REFUSAL: dict[str, frozenset[str]] = {
    "accounts:login": frozenset({"timeline.event"}),  # a failed sign-in is an audit event
}
# How to fill each URL keyword argument from the world (pk depends on the route's name).
ROUTE_KWARGS: dict[str, Callable[[World, str], Any]] = {
    "pk": lambda w, name: (
        w.company
        if ":company_" in name
        else w.order
        if name.startswith("orders:order_")
        else w.rate
        if name.startswith("orders:rate_")
        else w.job
        if name == "analytics:job_status"
        else w.merge_survivor
        if name == "contacts:merge_undo"
        else w.segment_list
        if name in ("segments:list_add", "segments:list_remove")
        else w.segment
        if name.startswith("segments:")
        else w.form
        if name.startswith("webforms:")
        else w.notification
        if name.startswith("activities:notification")
        else w.activity
        if name.startswith("activities:")
        else w.tracked_site
        if name.startswith("tracking:")
        else w.email_template
        if name.startswith("campaigns:template_")
        else w.campaign
        if name.startswith("campaigns:")
        else w.suppression
        if name.startswith("delivery:suppression_")
        else w.attribute
        if name == "catalog:attribute_edit"
        else w.product
        if name.startswith("catalog:")
        else w.payment
        if name == "billing:payment_delete"
        else w.quote
        if name.startswith("billing:quote_") or name == "billing:invoice_create"
        else w.invoice
        if name.startswith(("billing:invoice_", "billing:payment_"))
        else w.lost_reason
        if name == "deals:lost_reason_toggle"
        else w.pipeline
        if name.startswith(("deals:pipeline_", "deals:stage_", "deals:board_column"))
        or name == "deals:quick_create"
        else w.deal
        if name.startswith("deals:")
        else w.contact
    ),
    "merge_id": lambda w, name: w.merge,
    "user_id": lambda w, name: w.user,
    "department_id": lambda w, name: w.department,
    "role_id": lambda w, name: w.role.pk,
    "field_id": lambda w, name: w.form_field if name.startswith("webforms:") else w.custom_field,
    "consent_id": lambda w, name: w.form_consent,
    "submission_id": lambda w, name: w.submission,
    "public_id": lambda w, name: w.form_public_id,
    "token_id": lambda w, name: w.token,
    "job_id": lambda w, name: w.import_job,
    "contact_pk": lambda w, name: w.contact,
    "deal_pk": lambda w, name: w.deal,
    "stage_pk": lambda w, name: w.stage,
    "rule_pk": lambda w, name: w.stage_rule,
    "photo_pk": lambda w, name: w.photo,
    "line_pk": lambda w, name: w.deal_line,
    "fmt": lambda w, name: "csv",
    "index": lambda w, name: 0,
    "table": lambda w, name: "customers",
    # The signed public links of sent e-mail (clientela.delivery.public).
    "token": lambda w, name: w.message_token,
    "sig": lambda w, name: sign(UNSUBSCRIBE, w.message_token),
}
# Field names every form gets besides those it renders (hidden and POST-only forms too).
COMMON_FIELDS = (
    "next", "version", "q", "name", "email", "first_name", "last_name", "phone", "owner",
    "company", "company_name", "tags", "body", "departments", "role", "rate", "amount",
    "currency", "date", "language", "password", "new_password", "token", "survivor",
    "definition", "description", "contact", "title", "stage", "lost_reason", "subject",
)  # fmt: skip


def view_methods(view: Callable[..., Any]) -> set[str] | None:
    """The HTTP methods a view allows, read from its require_http_methods decorator; None when
    it has none (it then handles the method itself)."""
    current: Any = view
    for _depth in range(10):
        if current is None:
            break
        for cell in getattr(current, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple | set | frozenset)
                and value
                and all(isinstance(m, str) and m.upper() in HTTP_METHODS for m in value)
            ):
                return {m.upper() for m in value}
        current = getattr(current, "__wrapped__", None)
    return None


def form_routes() -> dict[str, URLPattern]:
    """Every named UI route whose view may accept POST, by "namespace:name"."""
    routes: dict[str, URLPattern] = {}

    def walk(entries: list[Any], namespace: str) -> None:
        for entry in entries:
            if isinstance(entry, URLResolver):
                if entry.namespace == "api":
                    continue  # the API is fuzzed above
                inner = ":".join(p for p in (namespace, entry.namespace or "") if p)
                walk(entry.url_patterns, inner)
                continue
            if not entry.name:
                continue
            methods = view_methods(entry.callback)
            if methods is None or "POST" in methods:
                routes[f"{namespace}:{entry.name}" if namespace else entry.name] = entry

    walk(get_resolver().url_patterns, "")
    return routes


FORM_ROUTES = sorted(set(form_routes()) - set(FORM_EXCLUSIONS))


def test_every_form_route_can_be_fuzzed():
    routes = form_routes()
    assert len(FORM_ROUTES) > 20, "no forms found: the discovery is broken"
    stale = set(FORM_EXCLUSIONS) - set(routes)
    assert not stale, f"these exclusions name no POST route any more: {stale}"
    for name, pattern in routes.items():
        unknown = set(pattern.pattern.converters) - set(ROUTE_KWARGS)
        assert not unknown, f"{name}: say in ROUTE_KWARGS how to fill {unknown}"


def _rejected(response: Any) -> bool:
    """Whether the answer refused the write: an error status, or a form shown with errors."""
    if response.status_code >= 400:
        return True
    if response.status_code != 200 or response.context is None:
        return False
    context = response.context
    # A ContextList (several templates) has keys(); one template's Context flattens.
    values = (
        [context[key] for key in context.keys()]  # noqa: SIM118 (a ContextList iterates contexts)
        if hasattr(context, "keys")
        else list(context.flatten().values())
    )
    return any(
        isinstance(value, forms.BaseForm) and value.is_bound and value.errors for value in values
    )


def _form_fields(client: Client, url: str) -> set[str]:
    """The names of the inputs the page at `url` renders (none when it has no GET)."""
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return set()
    return set(re.findall(r'name="([^"]+)"', response.content.decode(errors="replace")))


@pytest.mark.django_db
@pytest.mark.parametrize("name", FORM_ROUTES)
def test_ui_forms_survive_hostile_posts(client: Client, world: World, name: str) -> None:
    pattern = form_routes()[name]
    kwargs = {arg: ROUTE_KWARGS[arg](world, name) for arg in pattern.pattern.converters}
    url = reverse(name, kwargs=kwargs)
    anonymous = name in ANONYMOUS_ROUTES
    if not anonymous:
        client.force_login(world.admin)
    fields = (_form_fields(client, url) | set(COMMON_FIELDS)) - {"csrfmiddlewaretoken"}
    allowed = LOGGED_ON_REFUSAL.get(name, frozenset())

    @FUZZ_SETTINGS(per_endpoint(len(FORM_ROUTES)))
    @given(data=form_data(fields))
    def run(data: dict[str, Any]) -> None:
        if not anonymous:
            # A fuzzed post may change the administrator's password, role or active flag.
            User.objects.filter(pk=world.admin.pk).update(is_active=True)
            client.force_login(world.admin)
        before = row_counts()
        response = client.post(url, data)
        what = f"POST {url} {data!r:.300}"
        assert_no_server_error(response, what)
        if _rejected(response):
            assert_nothing_left(before, what, allowed)

    run()
    assert ApiToken.objects.exists()  # the world survived to the end
