from django import forms
from django.utils.translation import gettext_lazy as _

from core.catalog.models import Product
from core.lists import FilterForm


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "type", "unit", "list_price", "currency", "tax_rate", "is_active", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"list_price": _("Price per unit, excluding VAT.")}


class ProductFilterForm(FilterForm):
    type = forms.ChoiceField(label=_("Type"), choices=[("", _("All types")), *Product.Type.choices], required=False)
    active = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), ("yes", _("Active")), ("no", _("Inactive"))], required=False
    )
