"""The help center API: /api/v1/service/articles/.

Every signed-in user (customers included) reads and searches the published
articles; staff who may read articles also see drafts, and those with the
rights write them and publish them. Writes go through the services, so the
API keeps the same sanitizing, rules and audit trail as the staff pages.
"""

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from core.accounts.models import User
from core.api.permissions import StaffModelPermissions
from core.api.viewsets import NoDeleteModelViewSet
from frontoffice.helpcenter import selectors, services
from frontoffice.helpcenter.models import Article, ArticleCategory

if TYPE_CHECKING:
    from rest_framework.views import APIView


def _actor(serializer: serializers.BaseSerializer) -> User:
    return serializer.context["request"].user


class ArticleReaderPermission(BasePermission):
    """Any active signed-in user may read; staff only once they meet their department's two-factor rule."""

    message = StaffModelPermissions.mfa_message

    def has_permission(self, request: Request, view: "APIView") -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        if getattr(user, "is_employee", False):
            from core.accounts.backends import cached_must_set_up_mfa

            return not cached_must_set_up_mfa(user)
        return True


class ArticleWriterPermissions(StaffModelPermissions):
    """Model rights for writing; publishing and unpublishing change an article, so they take the change right."""

    action: str | None = None

    def has_permission(self, request: Request, view: "APIView") -> bool:
        self.action = getattr(view, "action", None)
        return super().has_permission(request, view)

    def get_required_permissions(self, method: str, model_cls: type) -> list[str]:
        if self.action in {"publish", "unpublish"}:
            return ["helpcenter.change_article"]
        return super().get_required_permissions(method, model_cls)


class ArticleSerializer(serializers.ModelSerializer):
    """An article as read and written; the text is Markdown, `body_html` its sanitized rendering."""

    category = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ArticleCategory.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The category's slug; needed to publish."),
    )
    category_name = serializers.CharField(source="category.name", read_only=True, allow_null=True)
    slug = serializers.SlugField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("The article's part of its web address; made from the title when left out."),
    )
    portal_url = serializers.CharField(
        source="get_portal_url", read_only=True, help_text=_("Where customers read it (once published).")
    )
    author_name = serializers.CharField(
        source="author.get_full_name", read_only=True, allow_null=True, help_text=_("Staff only; null for customers.")
    )
    source_ticket_number = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=_("The ticket whose reply the article was drafted from. Staff only; null for customers."),
    )

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "slug",
            "category",
            "category_name",
            "language",
            "body",
            "body_html",
            "excerpt",
            "status",
            "published_at",
            "portal_url",
            "helpful_count",
            "unhelpful_count",
            "author_name",
            "source_ticket_number",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "body_html",
            "excerpt",
            "status",
            "published_at",
            "helpful_count",
            "unhelpful_count",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "body": {"help_text": _("Markdown. Raw HTML is shown as text.")},
            "status": {"help_text": _("Changed by the publish and unpublish actions only.")},
        }

    def to_representation(self, instance: Article) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not getattr(request.user, "is_employee", False):
            data["author_name"] = None
            data["source_ticket_number"] = None
        return data

    def create(self, validated_data: dict[str, Any]) -> Article:
        return services.article_create(actor=_actor(self), **validated_data)

    def update(self, instance: Article, validated_data: dict[str, Any]) -> Article:
        return services.article_update(actor=_actor(self), article=instance, **validated_data)


class ArticleFilter(filters.FilterSet):
    """Search and filters of the article list; the selectors apply them, so the API and the pages agree."""

    q = filters.CharFilter(
        max_length=200,
        help_text=_(
            'Words to search for, like a web search ("exact phrase", or, -without); the results are then '
            "ranked, best first. English and Swedish articles are each searched in their own language."
        ),
    )
    category = filters.ModelChoiceFilter(
        queryset=ArticleCategory.objects.all(), to_field_name="slug", help_text=_("A category's slug.")
    )
    language = filters.ChoiceFilter(choices=Article.Language.choices)
    status = filters.ChoiceFilter(
        choices=Article.Status.choices, help_text=_("Drafts exist only for staff who may read them.")
    )

    class Meta:
        model = Article
        fields = ["q", "category", "language", "status"]

    def filter_queryset(self, queryset: QuerySet[Article]) -> QuerySet[Article]:
        # `queryset` is the view's get_queryset(), already without drafts for readers who may not see
        # them; the selectors build the filtered (and, with q, ranked) list within it.
        values = self.form.cleaned_data
        query = (values.get("q") or "").strip()
        category = values.get("category")
        language = values.get("language") or ""
        status = values.get("status") or ""
        if query:
            result = selectors.article_search(query=query, language=language, published_only=False, category=category)
            if status:
                result = result.filter(status=status)
        else:
            result = selectors.article_list(
                status=status,
                category_id=category.pk if category else None,
                language=language,
                ordering="-updated_at",
            ).defer(None)
        return result.select_related("category", "author").filter(pk__in=queryset.values("pk"))


@extend_schema_view(
    list=extend_schema(
        summary="List or search help articles",
        description=(
            "Published articles for every signed-in user, customers included; staff who may read articles "
            "also get drafts. With `q` the list is ranked by relevance, otherwise newest change first."
        ),
    ),
    retrieve=extend_schema(summary="Get a help article"),
    create=extend_schema(summary="Write a help article (a draft)"),
    update=extend_schema(summary="Change a help article"),
    partial_update=extend_schema(summary="Change some fields of a help article"),
)
@extend_schema(tags=["service"])
class ArticleViewSet(NoDeleteModelViewSet):
    """Help center articles in English and Swedish, written in Markdown."""

    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    filter_backends = [filters.DjangoFilterBackend]  # ordering is the selectors': by rank, or newest first

    def get_permissions(self) -> list[BasePermission]:
        if self.action in {"list", "retrieve"}:
            return [ArticleReaderPermission()]
        return [ArticleWriterPermissions()]

    def get_queryset(self) -> QuerySet[Article]:
        queryset = Article.objects.select_related("category", "author")
        if not selectors.may_read_drafts(user=self.request.user):
            queryset = queryset.filter(status=Article.Status.PUBLISHED)
        return queryset.order_by("-updated_at", "-pk")

    def _answer(self, article: Article) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=article.pk)).data)

    @extend_schema(summary="Publish a help article", request=None, responses={200: ArticleSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.article_publish(actor=request.user, article=self.get_object()))

    @extend_schema(summary="Take a help article back to a draft", request=None, responses={200: ArticleSerializer})
    @action(detail=True, methods=["post"])
    def unpublish(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.article_unpublish(actor=request.user, article=self.get_object()))
