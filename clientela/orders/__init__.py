"""Purchases, exchange rates and marketing spend."""
