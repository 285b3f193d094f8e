"""Template tags and filters of the contacts app."""
