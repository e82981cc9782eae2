"""The service pages of the customer portal, under /portal/ (no namespace, like the portal's own URLs)."""

urlpatterns: list = []
