"""The web forms API: forms, landing pages, lead sources, routing rules, public endpoints.

The public endpoints (the form post and the inbound lead webhooks) are Django views, described
in the OpenAPI document by `public`.
"""

from clientela.webforms.api.forms import forms_router
from clientela.webforms.api.leads import lead_sources_router, routing_rules_router
from clientela.webforms.api.pages import pages_router
from clientela.webforms.api.public import public_paths

__all__ = [
    "forms_router",
    "lead_sources_router",
    "pages_router",
    "public_paths",
    "routing_rules_router",
]
