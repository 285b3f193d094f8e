"""API for e-mail templates and campaigns (mounted at /api/v1/templates and /api/v1/campaigns)."""

from clientela.campaigns.api.endpoints import campaigns_router, templates_router

__all__ = ["campaigns_router", "templates_router"]
