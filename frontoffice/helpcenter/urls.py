"""Staff pages of the help center under /app/help/."""

from django.urls import path
from django.views.generic import RedirectView

from frontoffice.helpcenter import views

app_name = "helpcenter"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="helpcenter:article-list"), name="index"),
    path("articles/", views.article_list, name="article-list"),
    path("articles/new/", views.article_create, name="article-create"),
    path("articles/preview/", views.article_preview, name="article-preview"),
    path("articles/<int:pk>/", views.article_detail, name="article-detail"),
    path("articles/<int:pk>/edit/", views.article_edit, name="article-edit"),
    path("articles/<int:pk>/publish/", views.article_action, {"action": "publish"}, name="article-publish"),
    path("articles/<int:pk>/unpublish/", views.article_action, {"action": "unpublish"}, name="article-unpublish"),
    path("categories/", views.category_list, name="category-list"),
    path("categories/new/", views.category_create, name="category-create"),
    path("categories/<int:pk>/edit/", views.category_edit, name="category-edit"),
    path("deflections/", views.deflection_report, name="deflection-report"),
]
