"""The service API under /api/v1/service/: tickets."""

urlpatterns: list = []
