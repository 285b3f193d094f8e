"""Template tags and filters of the analytics app."""
