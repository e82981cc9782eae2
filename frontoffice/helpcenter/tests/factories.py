import factory

from frontoffice.helpcenter import services
from frontoffice.helpcenter.models import Article, ArticleCategory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArticleCategory

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    position = factory.Sequence(lambda n: n * 10)


def make_article(
    *,
    title: str = "Reset your password",
    body: str = "Click **Forgot your password?** on the sign-in page.",
    language: str = "en",
    category: ArticleCategory | None = None,
    published: bool = True,
    actor=None,
    **values,
) -> Article:
    """An article written through the service (so its HTML and excerpt exist), published unless told not to."""
    article = services.article_create(
        actor=actor,
        title=title,
        body=body,
        language=language,
        category=category if category is not None else CategoryFactory(),
        **values,
    )
    if published:
        article = services.article_publish(actor=actor, article=article)
    return article
