"""Staff pages of logistics, under /app/logistics/: the stock overview and a product's stock with its receive,
transfer and adjust forms, the move history, the deliveries board with each delivery's actions and the pick
list, stock counts, the serial number lookup and the warehouses. Logistics acts; Management reads; Sales and
Customer Service see deliveries (and Customer Service serial numbers)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.logistics import selectors, services
from backoffice.logistics.forms import (
    BOARD_STATES,
    OPEN,
    AdjustForm,
    CancelForm,
    CountAddForm,
    CountStartForm,
    DeliveryFilterForm,
    DispatchForm,
    MoveFilterForm,
    PackForm,
    PickListForm,
    ReceiveForm,
    SerialLookupForm,
    StockFilterForm,
    TransferForm,
)
from backoffice.logistics.models import DeliveryOrder, StockCount, StockMove, StockProduct, StockQuant
from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.catalog.models import Product
from core.forms import apply_service_error, message_service_error
from core.lists import COUNT_LIMIT, ListPaginator, cleaned_filters, list_page

LOW_BELOW = Decimal(5)
DELIVERY_SORTS = {"number": ["number"], "created": ["created_at", "pk"], "order": ["order_number", "pk"]}


def _sorted(queryset, sort: str, sorts: dict[str, list[str]]):
    """The list in the order its column header asks for ("-" first: descending); unknown keys keep the default."""
    fields = sorts.get(sort.removeprefix("-"))
    if not fields:
        return queryset
    if sort.startswith("-"):
        fields = [f"-{field}" for field in fields]
    return queryset.order_by(*fields)


# --- stock --------------------------------------------------------------------------------------------------------


class _OverviewRows:
    """The stock overview as the paginator reads it: a slice is one statement that also counts the groups
    (selectors.stock_overview_page), so the first page needs no count of its own."""

    ordered = True

    def __init__(self, **chosen: Any) -> None:
        self.chosen = chosen
        self.counted: int | None = None

    def __getitem__(self, part: slice) -> list[dict]:
        rows, self.counted = selectors.stock_overview_page(
            **self.chosen, offset=part.start or 0, limit=part.stop - (part.start or 0), count_up_to=COUNT_LIMIT + 1
        )
        return rows

    def count(self, up_to: int | None = None) -> int:
        chosen = {name: value for name, value in self.chosen.items() if name != "sort"}
        return selectors.stock_overview_count(**chosen, up_to=up_to)


class GroupedPaginator(ListPaginator):
    """Pages of grouped rows (one per product and warehouse): counted as groups, not as stock rows, by the
    page's own statement when it was read first (the first page), else up to COUNT_LIMIT + 1."""

    @cached_property
    def count(self) -> int:
        counted = self.object_list.counted
        if counted is None:
            counted = self.object_list.count(up_to=COUNT_LIMIT + 1)
        self.count_is_lower_bound = counted > COUNT_LIMIT
        return counted


@staff_permission_required("logistics.view_stockquant")
def stock_overview(request: HttpRequest) -> HttpResponse:
    form = StockFilterForm(request.GET)
    filters = cleaned_filters(form)
    warehouse = filters.get("warehouse")
    rows = _OverviewRows(
        search=filters.get("q") or "",
        warehouse_id=warehouse.pk if warehouse else None,
        low_only=filters.get("low") == "1",
        low_below=LOW_BELOW,
        sort=filters.get("sort") or "",
    )
    page = GroupedPaginator(rows, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": page.object_list,
        "filter_form": form,
        "is_filtered": any(value not in (None, "") for name, value in filters.items() if name != "sort"),
        "low_below": LOW_BELOW,
        "other_products": _goods_without_stock(filters.get("q") or "") if page.number == 1 else [],
    }
    template = "logistics/stock_overview.html"
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


def _goods_without_stock(search: str) -> list[Product]:
    """Goods matching the search that were never in stock, so the first receipt has a page to start from."""
    search = search.strip()
    if not search:
        return []
    return list(
        Product.objects.filter(type=Product.Type.GOODS, is_active=True)
        .filter(Q(sku__istartswith=search) | Q(name__icontains=search))
        .exclude(Exists(StockQuant.objects.filter(product_id=OuterRef("pk"))))  # an anti-join on the quants' index
        .order_by("sku")[:10]
    )


def _product_forms(product: Product, data: dict | None = None, which: str = "") -> dict[str, forms.Form]:
    """The three forms of a product's page; only the one that was sent is bound to the request's data."""
    main_stock = selectors.internal_locations().filter(code="STOCK").first()
    receive = ReceiveForm(data if which == "receive" else None, prefix="receive", initial={"location": main_stock})
    transfer = TransferForm(data if which == "transfer" else None, prefix="transfer")
    adjust = AdjustForm(data if which == "adjust" else None, prefix="adjust")
    transfer.limit_lots(product)
    adjust.limit_lots(product)
    return {"receive_form": receive, "transfer_form": transfer, "adjust_form": adjust}


def _product_page(request: HttpRequest, product: Product, forms_: dict[str, forms.Form], status: int = 200):
    settings_row = StockProduct.objects.filter(product=product).first()
    quants = list(selectors.product_stock(product=product))
    on_hand = sum((quant.quantity for quant in quants), Decimal(0))
    reserved = sum((quant.reserved for quant in quants), Decimal(0))
    return render(
        request,
        "logistics/product_stock.html",
        {
            "product": product,
            "tracking": settings_row.get_tracking_display() if settings_row else _("Quantity only"),
            "average_cost": selectors.average_cost(product=product),
            "quants": quants,
            "totals": {"on_hand": on_hand, "reserved": reserved, "available": on_hand - reserved},
            "moves": selectors.recent_moves(product=product),
            "open": forms_.get("open") or "receive",
            **{name: form for name, form in forms_.items() if name != "open"},
        },
        status=status,
    )


@staff_permission_required("logistics.view_stockquant")
def product_stock(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_id)
    return _product_page(request, product, _product_forms(product))


def _stock_action(request: HttpRequest, product_id: int, which: str, act) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_id)
    forms_ = _product_forms(product, request.POST, which)
    form = forms_[f"{which}_form"]
    if form.is_valid():
        try:
            message = act(product, form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict") and "lot" in error.error_dict and "lot" not in form.fields:
                error = ValidationError({("lot_code" if k == "lot" else k): v for k, v in error.error_dict.items()})
            apply_service_error(form, error)
        else:
            messages.success(request, message)
            return redirect("logistics:product-stock", product_id=product.pk)
    return _product_page(request, product, {**forms_, "open": which})


@staff_permission_required("logistics.add_stockmove")
@require_POST
def product_receive(request: HttpRequest, product_id: int) -> HttpResponse:
    def act(product: Product, data: dict[str, Any]) -> str:
        move = services.stock_receive(
            actor=request.user,
            product=product,
            quantity=data["quantity"],
            location=data["location"],
            unit_cost=data["unit_cost"],
            lot_code=data["lot_code"],
            supplier=data["supplier"],
            reference=data["reference"],
        )
        return _("Received %(quantity)s × %(product)s into %(location)s.") % {
            "quantity": _number(move.quantity),
            "product": product.sku,
            "location": move.to_location,
        }

    return _stock_action(request, product_id, "receive", act)


@staff_permission_required("logistics.add_stockmove")
@require_POST
def product_transfer(request: HttpRequest, product_id: int) -> HttpResponse:
    def act(product: Product, data: dict[str, Any]) -> str:
        move = services.stock_transfer(
            actor=request.user,
            product=product,
            quantity=data["quantity"],
            from_location=data["from_location"],
            to_location=data["to_location"],
            lot=data["lot"],
        )
        return _("Moved %(quantity)s × %(product)s from %(from)s to %(to)s.") % {
            "quantity": _number(move.quantity),
            "product": product.sku,
            "from": move.from_location,
            "to": move.to_location,
        }

    return _stock_action(request, product_id, "transfer", act)


@staff_permission_required("logistics.add_stockmove")
@require_POST
def product_adjust(request: HttpRequest, product_id: int) -> HttpResponse:
    def act(product: Product, data: dict[str, Any]) -> str:
        move = services.stock_adjust(
            actor=request.user,
            product=product,
            location=data["location"],
            quantity=data["quantity"],
            reason=data["reason"],
            lot=data["lot"],
            kind=data["kind"],
        )
        if move.kind == StockMove.Kind.SCRAP:
            return _("Scrapped %(quantity)s × %(product)s.") % {
                "quantity": _number(move.quantity),
                "product": product.sku,
            }
        sign = "+" if move.to_location.is_internal else "−"
        return _("Stock of %(product)s adjusted by %(sign)s%(quantity)s in %(location)s.") % {
            "product": product.sku,
            "sign": sign,
            "quantity": _number(move.quantity),
            "location": data["location"],
        }

    return _stock_action(request, product_id, "adjust", act)


def _number(value: Decimal) -> str:
    """A quantity without trailing zeros: 3, 2.5."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@staff_permission_required("logistics.view_stockmove")
def move_list(request: HttpRequest) -> HttpResponse:
    form = MoveFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.move_list(search=filters.get("q") or "", kind=filters.get("kind") or "")
    return list_page(request, template="logistics/move_list.html", queryset=queryset, filter_form=form)


# --- deliveries ---------------------------------------------------------------------------------------------------


@staff_permission_required("logistics.view_deliveryorder")
def delivery_list(request: HttpRequest) -> HttpResponse:
    form = DeliveryFilterForm(request.GET)
    filters = cleaned_filters(form)
    warehouse = filters.get("warehouse")
    search = filters.get("q") or ""
    state = filters.get("state") or ""
    queryset = selectors.delivery_list(
        search=search, state="" if state == OPEN else state, warehouse_id=warehouse.pk if warehouse else None
    )
    if state == OPEN:
        queryset = queryset.filter(state__in=BOARD_STATES)
    queryset = _sorted(queryset, filters.get("sort") or "", DELIVERY_SORTS)
    counts = selectors.delivery_state_counts(search=search, warehouse_id=warehouse.pk if warehouse else None)
    tabs = [
        (value, label, counts.get(value, 0))
        for value, label in DeliveryOrder.State.choices
        if value in BOARD_STATES or counts.get(value)
    ]
    return list_page(
        request,
        template="logistics/delivery_list.html",
        queryset=queryset,
        filter_form=form,
        context={
            "tabs": tabs,
            "open_count": sum(counts.get(value, 0) for value in BOARD_STATES),
            "state": state,
            "warehouses": list(selectors.warehouses()),
        },
    )


def _delivery_page(request: HttpRequest, pk: int, **forms_: forms.Form) -> HttpResponse:
    try:
        delivery = selectors.delivery_detail(pk=pk)
    except DeliveryOrder.DoesNotExist:
        raise Http404 from None
    lines = list(delivery.lines.all())
    state = delivery.state
    states = DeliveryOrder.State
    context = {
        "delivery": delivery,
        "lines": lines,
        "packages": list(delivery.packages.all()),
        "backorders": list(delivery.backorders.all()),
        "audit_entries": audit_entries_for(instance=delivery),
        "can_reserve": state in {states.WAITING, states.READY} and any(line.missing for line in lines),
        "can_pick": state in {states.WAITING, states.READY} and any(line.reserved for line in lines),
        "can_pack": state in {states.PICKED, states.PACKED},
        "can_dispatch": state in {states.PICKED, states.PACKED},
        "can_deliver": state == states.DISPATCHED,
        "can_cancel": state in {states.WAITING, states.READY, states.PICKED, states.PACKED},
        "pack_form": forms_.get("pack_form") or PackForm(prefix="pack"),
        "dispatch_form": forms_.get("dispatch_form") or DispatchForm(prefix="dispatch"),
        "cancel_form": forms_.get("cancel_form") or CancelForm(prefix="cancel"),
    }
    return render(request, "logistics/delivery_detail.html", context)


@staff_permission_required("logistics.view_deliveryorder")
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _delivery_page(request, pk)


def _delivery_action(request: HttpRequest, pk: int, act) -> HttpResponse:
    delivery = get_object_or_404(DeliveryOrder, pk=pk)
    try:
        message = act(delivery)
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, message)
    return redirect(delivery)


@staff_permission_required("logistics.ship_deliveryorder")
@require_POST
def delivery_reserve(request: HttpRequest, pk: int) -> HttpResponse:
    def act(delivery: DeliveryOrder) -> str:
        delivery = services.delivery_reserve_again(actor=request.user, delivery=delivery)
        if delivery.state == DeliveryOrder.State.READY:
            return _("%(number)s is reserved in full and ready to pick.") % {"number": delivery}
        return _("Reserved what is in stock; %(number)s still waits for the rest.") % {"number": delivery}

    return _delivery_action(request, pk, act)


@staff_permission_required("logistics.ship_deliveryorder")
@require_POST
def delivery_pick(request: HttpRequest, pk: int) -> HttpResponse:
    def act(delivery: DeliveryOrder) -> str:
        delivery = services.delivery_pick(actor=request.user, delivery=delivery)
        return _("%(number)s is picked.") % {"number": delivery}

    return _delivery_action(request, pk, act)


def _delivery_form_action(request: HttpRequest, pk: int, form_class, prefix: str, act) -> HttpResponse:
    delivery = get_object_or_404(DeliveryOrder, pk=pk)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            message = act(delivery, form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                apply_service_error(form, error)
            else:
                message_service_error(request, error)
                return redirect(delivery)
        else:
            messages.success(request, message)
            return redirect(delivery)
    return _delivery_page(request, pk, **{f"{prefix}_form": form})


@staff_permission_required("logistics.ship_deliveryorder")
@require_POST
def delivery_pack(request: HttpRequest, pk: int) -> HttpResponse:
    def act(delivery: DeliveryOrder, data: dict[str, Any]) -> str:
        delivery = services.delivery_pack(actor=request.user, delivery=delivery, weights=data["packages"])
        return _("%(number)s is packed in %(count)s parcel(s).") % {
            "number": delivery,
            "count": len(data["packages"]),
        }

    return _delivery_form_action(request, pk, PackForm, "pack", act)


@staff_permission_required("logistics.ship_deliveryorder")
@require_POST
def delivery_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    def act(delivery: DeliveryOrder, data: dict[str, Any]) -> str:
        delivery = services.delivery_dispatch(
            actor=request.user,
            delivery=delivery,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
        )
        text = _("%(number)s is dispatched with %(carrier)s.") % {"number": delivery, "carrier": delivery.carrier}
        backorder = delivery.backorders.order_by("-pk").first()
        if backorder is not None:
            text += " " + _("What was missing follows on %(number)s.") % {"number": backorder}
        return text

    return _delivery_form_action(request, pk, DispatchForm, "dispatch", act)


@staff_permission_required("logistics.ship_deliveryorder")
@require_POST
def delivery_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    def act(delivery: DeliveryOrder) -> str:
        delivery = services.delivery_confirm_delivered(actor=request.user, delivery=delivery)
        return _("%(number)s is delivered.") % {"number": delivery}

    return _delivery_action(request, pk, act)


@staff_permission_required("logistics.ship_deliveryorder")
@require_POST
def delivery_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def act(delivery: DeliveryOrder, data: dict[str, Any]) -> str:
        delivery = services.delivery_cancel(actor=request.user, delivery=delivery, reason=data["reason"])
        return _("%(number)s is cancelled; its reserved stock is free again.") % {"number": delivery}

    return _delivery_form_action(request, pk, CancelForm, "cancel", act)


@staff_permission_required("logistics.view_deliveryorder")
def pick_list(request: HttpRequest) -> HttpResponse:
    form = PickListForm(request.GET or None)
    warehouses = list(selectors.warehouses())
    if form.is_valid():
        warehouse = form.cleaned_data["warehouse"]
    elif len(warehouses) == 1 or (not request.GET and warehouses):
        warehouse = warehouses[0]
    else:
        warehouse = None
    rows = list(selectors.pick_list(warehouse=warehouse)) if warehouse else []
    return render(
        request,
        "logistics/pick_list.html",
        {
            "warehouse": warehouse,
            "warehouses": warehouses,
            "rows": rows,
            "delivery_count": len({row.line.delivery_id for row in rows}),
        },
    )


# --- stock counts -------------------------------------------------------------------------------------------------


@staff_permission_required("logistics.view_stockcount")
def count_list(request: HttpRequest) -> HttpResponse:
    form = CountStartForm(prefix="start")
    if request.method == "POST":
        if not request.user.has_perm("logistics.add_stockcount"):
            raise PermissionDenied
        form = CountStartForm(request.POST, prefix="start")
        if form.is_valid():
            try:
                count = services.count_start(
                    actor=request.user, location=form.cleaned_data["location"], reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(
                    request, _("Counting %(location)s: enter what you find.") % {"location": count.location}
                )
                return redirect("logistics:count-detail", pk=count.pk)
    page = ListPaginator(selectors.count_list(), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "logistics/count_list.html",
        {"form": form, "page": page, "rows": page.object_list, "is_filtered": False},
    )


def _count_page(
    request: HttpRequest,
    count: StockCount,
    add_form: CountAddForm | None = None,
    errors: dict[int, str] | None = None,
    typed: dict[int, str] | None = None,
) -> HttpResponse:
    lines = list(selectors.count_lines(count=count))
    for line in lines:
        line.difference = line.counted - line.expected
        line.typed = (typed or {}).get(line.pk)
    return render(
        request,
        "logistics/count_detail.html",
        {
            "count": count,
            "lines": lines,
            "add_form": add_form or CountAddForm(prefix="add"),
            "line_errors": errors or {},
            "is_draft": count.state == StockCount.State.DRAFT,
        },
    )


def _count(pk: int) -> StockCount:
    return get_object_or_404(StockCount.objects.select_related("location__warehouse", "created_by"), pk=pk)


@staff_permission_required("logistics.view_stockcount")
def count_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _count_page(request, _count(pk))


@staff_permission_required("logistics.change_stockcount")
@require_POST
def count_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save every line's counted quantity at once; a bad number keeps what was typed and saves nothing."""
    count = _count(pk)
    lines = list(selectors.count_lines(count=count))
    values: dict[int, Decimal] = {}
    errors: dict[int, str] = {}
    for line in lines:
        raw = (request.POST.get(f"line-{line.pk}") or "").strip().replace(",", ".")
        try:
            value = Decimal(raw)
            if value < 0 or not value.is_finite():
                raise ValueError
        except (ArithmeticError, ValueError):
            errors[line.pk] = _("Enter a quantity of zero or more.")
            continue
        values[line.pk] = value
    if errors:
        messages.error(request, _("Some counts are not numbers; nothing was saved."))
        typed = {line.pk: request.POST.get(f"line-{line.pk}", "") for line in lines}
        return _count_page(request, count, errors=errors, typed=typed)
    try:
        for line in lines:
            if values[line.pk] != line.counted:
                services.count_set(count=count, product=line.product, counted=values[line.pk], lot=line.lot)
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("The counts are saved."))
    return redirect("logistics:count-detail", pk=count.pk)


@staff_permission_required("logistics.change_stockcount")
@require_POST
def count_add(request: HttpRequest, pk: int) -> HttpResponse:
    count = _count(pk)
    form = CountAddForm(request.POST, prefix="add")
    if form.is_valid():
        product = form.cleaned_data["sku"]
        try:
            lot = services.lot_for(product=product, code=form.cleaned_data["lot_code"])
            services.count_set(count=count, product=product, counted=form.cleaned_data["counted"], lot=lot)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("%(product)s is on the count.") % {"product": product.sku})
            return redirect("logistics:count-detail", pk=count.pk)
    return _count_page(request, count, add_form=form)


@staff_permission_required("logistics.change_stockcount", "logistics.add_stockmove")
@require_POST
def count_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    count = _count(pk)
    try:
        moves = services.count_confirm(actor=request.user, count=count)
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("The count is booked: %(count)s adjustment(s).") % {"count": len(moves)})
    return redirect("logistics:count-detail", pk=count.pk)


# --- serial numbers and warehouses --------------------------------------------------------------------------------


@staff_permission_required("logistics.view_lot")
def serial_lookup(request: HttpRequest) -> HttpResponse:
    form = SerialLookupForm(request.GET)
    code = form.cleaned_data["code"].strip() if form.is_valid() else ""
    results = selectors.serial_history(code=code) if code else []
    return render(request, "logistics/serial_lookup.html", {"form": form, "code": code, "results": results})


@staff_permission_required("logistics.view_warehouse")
def warehouse_list(request: HttpRequest) -> HttpResponse:
    return render(request, "logistics/warehouse_list.html", {"warehouses": list(selectors.warehouse_list())})
