from django.contrib import admin

from core.audit.admin import AuditHistoryMixin
from frontoffice.helpcenter.models import Article, ArticleCategory, ArticleDeflection, ArticleVote


@admin.register(ArticleCategory)
class ArticleCategoryAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["position", "name", "slug", "is_active"]
    list_editable = ["name", "is_active"]
    list_display_links = ["position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Article)
class ArticleAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Read-mostly: the HTML, the excerpt and the publication go through the help center's services."""

    list_display = ["title", "category", "language", "status", "published_at", "helpful_count", "unhelpful_count"]
    list_filter = ["status", "language", "category"]
    search_fields = ["title", "slug", "body"]
    list_select_related = ["category"]
    autocomplete_fields = ["author"]
    readonly_fields = [
        "title",
        "slug",
        "category",
        "language",
        "body",
        "status",
        "published_at",
        "author",
        "source_ticket_number",
        "helpful_count",
        "unhelpful_count",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "published_at"

    def has_add_permission(self, request) -> bool:
        return False  # the HTML is rendered and sanitized by the service: write on the staff pages

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    list_display = ["article", "helpful", "user", "created_at"]
    list_filter = ["helpful", "created_at"]
    search_fields = ["article__title", "user__email"]
    list_select_related = ["article", "user"]
    readonly_fields = ["article", "helpful", "user", "session_key", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # votes come from readers, and the article's counts move with them

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ArticleDeflection)
class ArticleDeflectionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "article", "query", "user"]
    list_filter = ["created_at"]
    search_fields = ["article__title", "query", "user__email"]
    list_select_related = ["article", "user"]
    readonly_fields = ["article", "query", "user", "created_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
