"""API for segments and static lists (mounted at /api/v1/segments)."""

from clientela.segments.api.endpoints import segments_router

__all__ = ["segments_router"]
