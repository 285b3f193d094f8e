"""Writes of the campaigns app (templates, campaigns, sending), one module per concern."""
