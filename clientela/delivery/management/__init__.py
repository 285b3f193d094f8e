"""Management commands of the delivery app."""
