"""Segments: dynamic audiences and static lists of contacts."""
