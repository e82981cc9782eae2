"""The public help center under /portal/help/: readable without signing in (no namespace, like the portal's URLs)."""

from django.urls import path

from frontoffice.helpcenter import portal_views

urlpatterns = [
    path("", portal_views.help_index, name="portal-help"),
    path("search/", portal_views.help_search, name="portal-help-search"),
    path("suggest/", portal_views.help_suggest, name="portal-help-suggest"),
    path("category/<slug:slug>/", portal_views.help_category, name="portal-help-category"),
    path("<slug:slug>/", portal_views.article_page, name="portal-article"),
    path("<slug:slug>/vote/", portal_views.article_vote, name="portal-help-vote"),
    path("<slug:slug>/solved/", portal_views.article_solved, name="portal-help-solved"),
]
