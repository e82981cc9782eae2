"""Staff pages of finance (being built)."""

app_name = "finance"

urlpatterns: list = []
