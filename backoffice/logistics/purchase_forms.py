"""Forms of the purchasing, production and return pages. They check the shape of the input; the services decide
(their refusals come back next to the field they name)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.logistics import purchase_services, return_services, selectors
from backoffice.logistics.models import (
    DeliveryOrder,
    Location,
    ProductionOrder,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    ReturnLine,
    ReturnOrder,
    StockProduct,
    Warehouse,
)
from core.catalog.models import Product
from core.lists import FilterForm
from core.parties.models import Organization
from core.widgets import AutocompleteSelect

QUANTITY = {"max_digits": 14, "decimal_places": 3}
PRICE = {"max_digits": 14, "decimal_places": 2}
TAX_RATES = [("25", "25 %"), ("12", "12 %"), ("6", "6 %"), ("0", "0 %")]
MIN_QUANTITY = Decimal("0.001")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def goods() -> Any:
    return Product.objects.filter(type=Product.Type.GOODS, is_active=True).order_by("sku")


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.sku} · {obj.name}"


def _organization_field(label: str, **kwargs: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=Organization.objects.all(),
        widget=AutocompleteSelect("parties:organization-lookup"),
        **kwargs,
    )


class WarehouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} · {obj.name}"


def _warehouses() -> Any:
    return Warehouse.objects.filter(is_active=True).order_by("code")


# --- purchase orders ----------------------------------------------------------------------------------------------


class PurchaseFilterForm(FilterForm):
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("All states")), ("open", _("Open")), *PurchaseOrder.State.choices],
        required=False,
    )


class PurchaseForm(forms.Form):
    """The head of a request for quotation: which supplier, delivered where and when."""

    supplier = _organization_field(_("Supplier"))
    warehouse = WarehouseChoiceField(label=_("Deliver to"), queryset=_warehouses(), empty_label=None)
    expected_on = forms.DateField(
        label=_("Expected"), widget=_date_input(), required=False, help_text=_("When the goods should arrive.")
    )
    note = forms.CharField(label=_("Note to the supplier"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class PurchaseLineForm(forms.Form):
    """One line of a purchase: a product, how many, at what price and VAT."""

    product = ProductChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    quantity = forms.DecimalField(label=_("Quantity"), required=False, **QUANTITY)
    unit_price = forms.DecimalField(label=_("Unit price (SEK)"), required=False, **PRICE)
    tax_rate = forms.ChoiceField(label=_("VAT"), choices=TAX_RATES, initial="25")

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products if products is not None else goods()

    def has_changed(self) -> bool:
        return any(name in self.changed_data for name in ("product", "quantity", "unit_price"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.has_changed() or data.get("DELETE"):
            return data
        if not data.get("product") and "product" not in self.errors:
            self.add_error("product", _("Choose a product."))
        if data.get("quantity") is None:
            if "quantity" not in self.errors:
                self.add_error("quantity", _("Give a quantity."))
        elif data["quantity"] <= 0:
            self.add_error("quantity", _("The quantity must be more than zero."))
        if data.get("unit_price") is None:
            if "unit_price" not in self.errors:
                self.add_error("unit_price", _("Give a price."))
        elif data["unit_price"] < 0:
            self.add_error("unit_price", _("The price is not negative."))
        return data

    def line(self) -> purchase_services.PurchaseLineInput:
        data = self.cleaned_data
        return purchase_services.PurchaseLineInput(
            product=data["product"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            tax_rate=Decimal(data["tax_rate"]),
        )


class ProductsOnceFormSet(forms.BaseFormSet):
    """A formset of lines that each choose a product among the goods."""

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "products": goods()}

    def filled(self) -> list[forms.Form]:
        return [
            form
            for form in self.forms
            if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


class PurchaseLineFormSetBase(ProductsOnceFormSet):
    def lines(self) -> list[purchase_services.PurchaseLineInput]:
        return [form.line() for form in self.filled()]


PurchaseLineFormSet = forms.formset_factory(
    PurchaseLineForm, formset=PurchaseLineFormSetBase, extra=3, can_delete=True, max_num=200, validate_max=True
)


class ConfirmForm(forms.Form):
    supplier_reference = forms.CharField(
        label=_("Supplier's order confirmation"),
        max_length=60,
        required=False,
        help_text=_("Their reference for the order, if they gave one."),
    )


class PurchaseCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PurchaseReceiveForm(forms.Form):
    """What arrived against an order: per open line how much (with its lot or serial number and, when the
    supplier's papers differ, the billed quantity and price), the supplier's invoice or delivery note, and
    where it goes."""

    supplier_reference = forms.CharField(label=_("Supplier's invoice or delivery note"), max_length=60, required=False)
    location = forms.ModelChoiceField(label=_("Receive into"), queryset=Location.objects.none(), empty_label=None)

    def __init__(self, *args: Any, order: PurchaseOrder, lines: list[PurchaseOrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        self.open_lines = [line for line in lines if line.open_quantity > 0]
        self.fields["location"].queryset = selectors.internal_locations(warehouse=order.warehouse)
        self.tracked = set(
            StockProduct.objects.filter(
                product_id__in=[line.product_id for line in self.open_lines],
                tracking__in=[StockProduct.Tracking.LOT, StockProduct.Tracking.SERIAL],
            ).values_list("product_id", flat=True)
        )
        self.line_fields: list[dict[str, Any]] = []
        for line in self.open_lines:
            prefix = f"line_{line.pk}"
            self.fields[f"{prefix}_quantity"] = forms.DecimalField(
                label=_("Received"), required=False, min_value=Decimal(0), **QUANTITY
            )
            self.fields[f"{prefix}_lot"] = forms.CharField(
                label=_("Lot or serial number"), max_length=60, required=False
            )
            self.fields[f"{prefix}_billed_quantity"] = forms.DecimalField(
                label=_("Billed quantity"), required=False, min_value=Decimal(0), **QUANTITY
            )
            self.fields[f"{prefix}_billed_price"] = forms.DecimalField(
                label=_("Billed price"), required=False, min_value=Decimal(0), **PRICE
            )
            self.line_fields.append(
                {
                    "line": line,
                    "quantity": self[f"{prefix}_quantity"],
                    "lot": self[f"{prefix}_lot"],
                    "billed_quantity": self[f"{prefix}_billed_quantity"],
                    "billed_price": self[f"{prefix}_billed_price"],
                }
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        wanted = 0
        for line in self.open_lines:
            quantity = data.get(f"line_{line.pk}_quantity")
            if quantity:
                wanted += 1
                if line.product_id in self.tracked and not (data.get(f"line_{line.pk}_lot") or "").strip():
                    self.add_error(
                        f"line_{line.pk}_lot",
                        _("%(sku)s is tracked: give its lot or serial number.") % {"sku": line.product.sku},
                    )
                if quantity > line.open_quantity:
                    self.add_error(
                        f"line_{line.pk}_quantity",
                        _("At most %(open)s is still open on this line.") % {"open": line.open_quantity.normalize()},
                    )
        if not wanted and not self.errors:
            raise forms.ValidationError(_("Say how much of which line arrived."))
        return data

    def receive_lines(self) -> list[purchase_services.ReceiveLineInput]:
        data = self.cleaned_data
        lines = []
        for line in self.open_lines:
            prefix = f"line_{line.pk}"
            quantity = data.get(f"{prefix}_quantity")
            if not quantity:
                continue
            lines.append(
                purchase_services.ReceiveLineInput(
                    order_line=line,
                    quantity=quantity,
                    lot_code=(data.get(f"{prefix}_lot") or "").strip(),
                    billed_quantity=data.get(f"{prefix}_billed_quantity"),
                    billed_unit_price=data.get(f"{prefix}_billed_price"),
                )
            )
        return lines


class ReorderRuleForm(forms.ModelForm):
    """Keep a product between a minimum and a maximum in a warehouse, bought from a preferred supplier."""

    product = ProductChoiceField(label=_("Product"), queryset=Product.objects.none())
    warehouse = WarehouseChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none(), empty_label=None)
    supplier = _organization_field(_("Preferred supplier"))

    class Meta:
        model = ReorderRule
        fields = ["product", "warehouse", "minimum", "maximum", "supplier", "unit_price", "lead_time_days", "is_active"]
        help_texts = {
            "minimum": _("Below this (counting what is already ordered), a draft purchase order is made."),
            "maximum": _("The draft orders enough to come back up to this."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = goods()
        self.fields["warehouse"].queryset = _warehouses()

    def clean(self) -> dict[str, Any]:
        # The service checks the same (for the API and admin); here the fields are marked before the model form
        # would report the table's check constraint as one error about the whole form.
        data = super().clean()
        minimum, maximum = data.get("minimum"), data.get("maximum")
        if minimum is not None and minimum < 0:
            self.add_error("minimum", _("The minimum is not negative."))
        if minimum is not None and maximum is not None and maximum <= minimum:
            self.add_error("maximum", _("The maximum must be more than the minimum."))
        if data.get("unit_price") is not None and data["unit_price"] < 0:
            self.add_error("unit_price", _("The price is not negative."))
        return data


# --- production ---------------------------------------------------------------------------------------------------


class BomForm(forms.Form):
    product = ProductChoiceField(label=_("Product made"), queryset=Product.objects.none())
    quantity = forms.DecimalField(
        label=_("Makes"),
        initial=Decimal(1),
        help_text=_("How many units the components below make."),
        **QUANTITY,
    )
    name = forms.CharField(label=_("Name"), max_length=120, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = goods()

    def clean_quantity(self) -> Decimal:
        quantity = self.cleaned_data["quantity"]
        if quantity <= 0:
            raise forms.ValidationError(_("A bill of materials makes more than zero."))
        return quantity


class BomLineForm(forms.Form):
    component = ProductChoiceField(label=_("Component"), queryset=Product.objects.none(), required=False)
    quantity = forms.DecimalField(label=_("Quantity"), required=False, **QUANTITY)

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["component"].queryset = products if products is not None else goods()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.has_changed() or data.get("DELETE"):
            return data
        if not data.get("component") and "component" not in self.errors:
            self.add_error("component", _("Choose a component."))
        if data.get("quantity") is None:
            if "quantity" not in self.errors:
                self.add_error("quantity", _("Give a quantity."))
        elif data["quantity"] <= 0:
            self.add_error("quantity", _("The quantity must be more than zero."))
        return data


class BomLineFormSetBase(ProductsOnceFormSet):
    def components(self) -> list[tuple[Product, Decimal]]:
        return [(form.cleaned_data["component"], form.cleaned_data["quantity"]) for form in self.filled()]


BomLineFormSet = forms.formset_factory(
    BomLineForm, formset=BomLineFormSetBase, extra=3, can_delete=True, max_num=200, validate_max=True
)


class ProductionFilterForm(FilterForm):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All states")), *ProductionOrder.State.choices], required=False
    )


class ProductionForm(forms.Form):
    product = ProductChoiceField(label=_("Product to make"), queryset=Product.objects.none())
    quantity = forms.DecimalField(label=_("Quantity"), min_value=MIN_QUANTITY, **QUANTITY)
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.none(),
        empty_label=None,
        help_text=_("Components are taken from this warehouse; the finished goods go into this location."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(boms__is_active=True).order_by("sku")
        self.fields["location"].queryset = selectors.internal_locations()


# --- returns ------------------------------------------------------------------------------------------------------


class ReturnFilterForm(FilterForm):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All states")), *ReturnOrder.State.choices], required=False
    )


class ReturnForm(forms.Form):
    """Goods a customer sends back: who, why, from which delivery or support ticket."""

    organization = _organization_field(_("Customer"))
    delivery_number = forms.CharField(
        label=_("Delivery"),
        max_length=40,
        required=False,
        help_text=_("The delivery the goods came with, e.g. OUT-1042. Its lines limit what can come back."),
    )
    ticket_reference = forms.CharField(label=_("Support ticket"), max_length=40, required=False)
    ticket_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    warehouse = WarehouseChoiceField(
        label=_("Returned to"),
        queryset=Warehouse.objects.none(),
        required=False,
        empty_label=_("The delivery's warehouse, or the main one"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses()

    def clean_delivery_number(self) -> DeliveryOrder | None:
        text = (self.cleaned_data.get("delivery_number") or "").strip().upper().removeprefix("OUT-").strip()
        if not text:
            return None
        delivery = DeliveryOrder.objects.filter(number=int(text)).first() if text.isdigit() and len(text) < 18 else None
        if delivery is None:
            raise forms.ValidationError(_("No delivery has that number."))
        return delivery


class ReturnLineForm(forms.Form):
    product = ProductChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    quantity = forms.DecimalField(label=_("Quantity"), required=False, **QUANTITY)
    lot_code = forms.CharField(label=_("Lot or serial number"), max_length=60, required=False)
    disposition = forms.ChoiceField(
        label=_("Then"), choices=ReturnLine.Disposition.choices, initial=ReturnLine.Disposition.RESTOCK
    )

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products if products is not None else goods()

    def has_changed(self) -> bool:
        return any(name in self.changed_data for name in ("product", "quantity", "lot_code"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.has_changed() or data.get("DELETE"):
            return data
        if not data.get("product") and "product" not in self.errors:
            self.add_error("product", _("Choose a product."))
        if data.get("quantity") is None:
            if "quantity" not in self.errors:
                self.add_error("quantity", _("Give a quantity."))
        elif data["quantity"] <= 0:
            self.add_error("quantity", _("The quantity must be more than zero."))
        return data


class ReturnLineFormSetBase(ProductsOnceFormSet):
    def lines(self) -> list[return_services.ReturnLineInput]:
        return [
            return_services.ReturnLineInput(
                product=form.cleaned_data["product"],
                quantity=form.cleaned_data["quantity"],
                lot_code=form.cleaned_data.get("lot_code") or "",
                disposition=form.cleaned_data["disposition"],
            )
            for form in self.filled()
        ]


ReturnLineFormSet = forms.formset_factory(
    ReturnLineForm, formset=ReturnLineFormSetBase, extra=2, can_delete=True, max_num=200, validate_max=True
)


class ReturnReceiveForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Receive into"), queryset=Location.objects.none(), empty_label=None)

    def __init__(self, *args: Any, rma: ReturnOrder, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.internal_locations(warehouse=rma.warehouse)
