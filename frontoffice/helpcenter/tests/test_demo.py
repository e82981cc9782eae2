"""The demo help center: believable, published, searchable, and safe to seed twice."""

import pytest

from core import demo
from frontoffice.helpcenter import selectors
from frontoffice.helpcenter.demo import ARTICLES
from frontoffice.helpcenter.models import Article, ArticleCategory

pytestmark = pytest.mark.django_db


def test_seeding_twice_gives_one_help_center(admin_user):
    seed = demo.seeders()["helpcenter"]
    assert seed(admin_user) == f"{len(ARTICLES)} help articles in 5 categories"
    assert seed(admin_user) == "help articles already there"
    assert Article.objects.filter(status="published").count() == len(ARTICLES) == 15
    assert ArticleCategory.objects.count() == 5
    assert set(Article.objects.values_list("language", flat=True)) == {"en", "sv"}
    assert "<table>" in Article.objects.get(slug="delivery-times").body_html
    assert [article.slug for article in selectors.article_search(query="fakturor")][:1] == ["forsta-din-faktura"]
    assert [article.slug for article in selectors.article_suggestions(text="forgot my passw")][:1] == [
        "reset-your-password"
    ]
