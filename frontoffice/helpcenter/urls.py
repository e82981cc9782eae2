"""Filled in by the help center work."""

app_name = "helpcenter"

urlpatterns: list = []
