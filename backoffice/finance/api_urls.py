"""The finance API under /api/v1/finance/ (being built)."""

urlpatterns: list = []
