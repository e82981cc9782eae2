"""Forms of the logistics staff pages: list filters, receiving, transferring and adjusting stock, the delivery
actions (pack, dispatch, cancel) and stock counts. They check the shape of the input; the services decide."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.logistics import selectors
from backoffice.logistics.models import DeliveryOrder, Lot, StockMove, Warehouse
from core.catalog.models import Product
from core.lists import FilterForm
from core.parties.models import Organization
from core.widgets import AutocompleteSelect

QUANTITY = {"max_digits": 14, "decimal_places": 3}
COST = {"max_digits": 16, "decimal_places": 4}


def _locations() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=_("Location"), queryset=selectors.internal_locations())


class _WarehouseChoices(forms.models.ModelChoiceIterator):
    """The warehouses as a filter bar's options, read in one plain statement: ModelChoiceIterator read them
    through iterator(), a server-side cursor on PostgreSQL (declare, fetch, close), and built a queryset and a
    model per option, a tenth of the stock overview for a handful of warehouses. Validation still uses the
    field's queryset."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, label in selectors.warehouse_choices():
            yield (forms.models.ModelChoiceIteratorValue(pk, None), label)


def _warehouse_filter() -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.order_by("code"), required=False, empty_label=_("All")
    )
    field.iterator = _WarehouseChoices
    return field


class StockFilterForm(FilterForm):
    warehouse = _warehouse_filter()
    low = forms.ChoiceField(
        label=_("Stock level"),
        choices=[("", _("All levels")), ("1", _("Low stock only"))],
        required=False,
    )


class MoveFilterForm(FilterForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds")), *StockMove.Kind.choices], required=False)


OPEN = "open"
BOARD_STATES = [
    DeliveryOrder.State.WAITING,
    DeliveryOrder.State.READY,
    DeliveryOrder.State.PICKED,
    DeliveryOrder.State.PACKED,
    DeliveryOrder.State.DISPATCHED,
]


class DeliveryFilterForm(FilterForm):
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("All states")), (OPEN, _("Not yet delivered")), *DeliveryOrder.State.choices],
        required=False,
    )
    warehouse = _warehouse_filter()


class ProductLotsMixin:
    """Lot choices limited to the product the page is about."""

    def limit_lots(self, product: Product) -> None:
        self.fields["lot"].queryset = Lot.objects.filter(product=product).order_by("code")


class ReceiveForm(forms.Form):
    """Goods from a supplier arrive in a location at a unit cost."""

    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.001"), **QUANTITY)
    location = _locations()
    unit_cost = forms.DecimalField(
        label=_("Unit cost (SEK)"),
        min_value=Decimal(0),
        **COST,
        help_text=_("The purchase price per unit; it changes the product's average cost."),
    )
    lot_code = forms.CharField(
        label=_("Lot or serial number"),
        max_length=60,
        required=False,
        help_text=_("Required for products tracked by lot or serial number."),
    )
    supplier = forms.ModelChoiceField(
        label=_("Supplier"),
        queryset=Organization.objects.all(),
        required=False,
        widget=AutocompleteSelect("parties:organization-lookup"),
    )
    reference = forms.CharField(label=_("Reference"), max_length=80, required=False)


class TransferForm(ProductLotsMixin, forms.Form):
    from_location = forms.ModelChoiceField(label=_("From"), queryset=selectors.internal_locations())
    to_location = forms.ModelChoiceField(label=_("To"), queryset=selectors.internal_locations())
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.001"), **QUANTITY)
    lot = forms.ModelChoiceField(label=_("Lot or serial number"), queryset=Lot.objects.none(), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("from_location") and data.get("from_location") == data.get("to_location"):
            self.add_error("to_location", _("Choose another location than the one the stock is in."))
        return data


class AdjustForm(ProductLotsMixin, forms.Form):
    """A difference found in a location, or goods thrown away."""

    kind = forms.ChoiceField(
        label=_("What"),
        choices=[(StockMove.Kind.ADJUSTMENT, _("Adjustment")), (StockMove.Kind.SCRAP, _("Scrap"))],
    )
    location = _locations()
    quantity = forms.DecimalField(
        label=_("Quantity"),
        **QUANTITY,
        help_text=_("Positive adds stock, negative takes it away (scrap is always negative)."),
    )
    lot = forms.ModelChoiceField(label=_("Lot or serial number"), queryset=Lot.objects.none(), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PackForm(forms.Form):
    packages = forms.CharField(
        label=_("Parcel weights (kg)"),
        max_length=200,
        required=False,
        help_text=_("One weight per parcel, separated by commas, e.g. 2.5, 1.2. Empty: one parcel, weight unknown."),
    )

    def clean_packages(self) -> list[Decimal | None]:
        text = (self.cleaned_data.get("packages") or "").replace(";", ",").strip()
        if not text:
            return [None]
        weights: list[Decimal | None] = []
        for part in text.split(","):
            part = part.strip().replace(" ", "")
            if not part or part == "-":
                weights.append(None)
                continue
            try:
                weights.append(Decimal(part))
            except InvalidOperation:
                raise forms.ValidationError(_("“%(value)s” is not a weight.") % {"value": part}) from None
        return weights


class DispatchForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=60)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=80, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PickListForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.order_by("code"))


class CountStartForm(forms.Form):
    location = _locations()
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("E.g. cycle count, year-end count."))


class CountAddForm(forms.Form):
    """A product found in the location that the count did not expect."""

    sku = forms.CharField(label=_("SKU"), max_length=60)
    counted = forms.DecimalField(label=_("Counted"), min_value=Decimal(0), **QUANTITY)
    lot_code = forms.CharField(label=_("Lot or serial number"), max_length=60, required=False)

    def clean_sku(self) -> Product:
        sku = self.cleaned_data["sku"].strip()
        product = Product.objects.filter(sku__iexact=sku).first()
        if product is None:
            raise forms.ValidationError(_("No product has the SKU %(sku)s.") % {"sku": sku})
        return product


class SerialLookupForm(forms.Form):
    code = forms.CharField(label=_("Serial or lot number"), max_length=60, required=False)
