"""Test URLconf kept for the import tests: the import routes are now in the project's URLs."""

from clientela.urls import urlpatterns

__all__ = ["urlpatterns"]
