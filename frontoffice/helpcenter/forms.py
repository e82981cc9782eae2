from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.lists import FilterForm
from frontoffice.helpcenter import selectors
from frontoffice.helpcenter.models import Article, ArticleCategory


class ArticleForm(forms.ModelForm):
    """The article editor: the text is Markdown, previewed as it is typed."""

    class Meta:
        model = Article
        fields = ["title", "category", "language", "slug", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18, "class": "font-monospace", "spellcheck": "true"})}
        help_texts = {
            "slug": _("Leave empty to make one from the title. Changing it breaks links people already have."),
            "body": _(
                "Markdown: **bold**, _italic_, ## heading, - list item, [link text](https://…), `code`. "
                "HTML is shown as text."
            ),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        current = self.instance.category_id if self.instance.pk else None
        self.fields["category"].queryset = ArticleCategory.objects.filter(
            pk__in=[*selectors.active_categories().values_list("pk", flat=True), current]
        ).order_by("position", "name")
        self.fields["category"].help_text = _("Needed to publish: customers browse articles by category.")
        self.fields["body"].widget.attrs.update(
            {
                "hx-post": reverse("helpcenter:article-preview"),
                "hx-trigger": "input changed delay:600ms",
                "hx-target": "#article-preview",
                "hx-swap": "innerHTML",
                "aria-controls": "article-preview",
            }
        )


class ArticleFilterForm(FilterForm):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *Article.Status.choices], required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ArticleCategory.objects.all(), required=False, empty_label=_("All categories")
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("All")), *Article.Language.choices], required=False
    )


class CategoryForm(forms.ModelForm):
    class Meta:
        model = ArticleCategory
        fields = ["name", "slug", "description", "icon", "position", "is_active"]
        help_texts = {"slug": _("Leave empty to make one from the name.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False


class DeflectionPeriodForm(forms.Form):
    PERIODS = [
        ("30", _("Last 30 days")),
        ("90", _("Last 90 days")),
        ("365", _("Last 12 months")),
        ("all", _("All time")),
    ]

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
