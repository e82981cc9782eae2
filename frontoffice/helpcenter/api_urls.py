"""Filled in by the help center work."""

urlpatterns: list = []
