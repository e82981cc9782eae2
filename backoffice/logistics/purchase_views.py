"""Staff pages of purchasing, production and returns, under /app/logistics/: purchase orders from request to
receipt, reorder rules and their check, bills of materials with their cost roll-up, production orders, and
customer returns. Logistics acts; Management reads."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.logistics import (
    production_services,
    purchase_selectors,
    purchase_services,
    return_services,
)
from backoffice.logistics.models import (
    BillOfMaterials,
    ProductionOrder,
    PurchaseOrder,
    ReorderRule,
    ReturnOrder,
    Warehouse,
)
from backoffice.logistics.pdf import purchase_order_pdf
from backoffice.logistics.purchase_forms import (
    BomForm,
    BomLineFormSet,
    ConfirmForm,
    ProductionFilterForm,
    ProductionForm,
    PurchaseCancelForm,
    PurchaseFilterForm,
    PurchaseForm,
    PurchaseLineFormSet,
    PurchaseReceiveForm,
    ReorderRuleForm,
    ReturnFilterForm,
    ReturnForm,
    ReturnLineFormSet,
    ReturnReceiveForm,
)
from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.forms import apply_service_error, message_service_error
from core.lists import cleaned_filters, list_page
from core.parties.models import Organization


def _split(error: ValidationError, line_field: str) -> tuple[ValidationError | None, list[str]]:
    """A service's error as the head form's part and the lines' part (the field the service names for lines)."""
    errors = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    line_errors = errors.pop(line_field, [])
    return (ValidationError(errors) if errors else None), line_errors


# --- purchase orders ----------------------------------------------------------------------------------------------


@staff_permission_required("logistics.view_purchaseorder")
def purchase_list(request: HttpRequest) -> HttpResponse:
    form = PurchaseFilterForm(request.GET)
    filters = cleaned_filters(form)
    orders = purchase_selectors.purchase_list(
        search=filters.get("q") or "", state=filters.get("state") or "", ordering=filters.get("sort") or ""
    )
    return list_page(request, template="logistics/purchasing/purchase_list.html", queryset=orders, filter_form=form)


@staff_permission_required("logistics.add_purchaseorder")
def purchase_create(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {}
    if data is None:
        main = Warehouse.objects.filter(code="WH").first()
        initial = {"warehouse": main.pk if main else None}
    form = PurchaseForm(data, initial=initial)
    lines = PurchaseLineFormSet(data, prefix="lines")
    line_errors: list[str] = []
    if data is not None and form.is_valid() and lines.is_valid():
        try:
            order = purchase_services.purchase_create(
                actor=request.user,
                supplier=form.cleaned_data["supplier"],
                warehouse=form.cleaned_data["warehouse"],
                expected_on=form.cleaned_data.get("expected_on"),
                note=form.cleaned_data.get("note") or "",
                lines=lines.lines(),
            )
        except ValidationError as error:
            head, line_errors = _split(error, "lines")
            if head is not None:
                apply_service_error(form, head)
        else:
            messages.success(
                request, _("Request for quotation %(order)s is saved. Send it to the supplier.") % {"order": order}
            )
            return redirect("logistics:purchase-detail", pk=order.pk)
    return render(
        request, "logistics/purchasing/purchase_form.html", {"form": form, "lines": lines, "line_errors": line_errors}
    )


def _purchase(pk: int) -> PurchaseOrder:
    try:
        return purchase_selectors.purchase_detail(pk=pk)
    except PurchaseOrder.DoesNotExist:
        raise Http404 from None


def _purchase_page(
    request: HttpRequest, order: PurchaseOrder, *, receive_form: PurchaseReceiveForm | None = None, status: int = 200
) -> HttpResponse:
    lines = list(order.lines.all())
    can_receive = order.state in {PurchaseOrder.State.CONFIRMED, PurchaseOrder.State.PARTLY_RECEIVED}
    if receive_form is None and can_receive:
        receive_form = PurchaseReceiveForm(order=order, lines=lines)
    return render(
        request,
        "logistics/purchasing/purchase_detail.html",
        {
            "order": order,
            "lines": lines,
            "receipts": list(order.receipts.all()),
            "totals": purchase_selectors.purchase_total(order),
            "can_send": order.state
            in {PurchaseOrder.State.DRAFT, PurchaseOrder.State.SENT, PurchaseOrder.State.CONFIRMED},
            "can_confirm": order.state in {PurchaseOrder.State.DRAFT, PurchaseOrder.State.SENT},
            "can_cancel": order.state
            in {PurchaseOrder.State.DRAFT, PurchaseOrder.State.SENT, PurchaseOrder.State.CONFIRMED},
            "can_receive": can_receive,
            "confirm_form": ConfirmForm(initial={"supplier_reference": order.supplier_reference}),
            "cancel_form": PurchaseCancelForm(),
            "receive_form": receive_form,
            "audit_entries": audit_entries_for(instance=order),
        },
        status=status,
    )


@staff_permission_required("logistics.view_purchaseorder")
def purchase_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _purchase_page(request, _purchase(pk))


@staff_permission_required("logistics.view_purchaseorder")
def purchase_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder.objects.select_related("supplier", "warehouse"), pk=pk)
    response = HttpResponse(
        purchase_order_pdf(order, language=translation.get_language() or ""), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="{order}.pdf"'
    return response


@staff_permission_required("logistics.change_purchaseorder")
@require_POST
def purchase_send(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder.objects.select_related("supplier"), pk=pk)
    try:
        purchase_services.purchase_send(actor=request.user, order=order)
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(
            request,
            _("%(order)s is on its way to %(email)s with its PDF.") % {"order": order, "email": order.supplier.email},
        )
    return redirect("logistics:purchase-detail", pk=pk)


@staff_permission_required("logistics.change_purchaseorder")
@require_POST
def purchase_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder, pk=pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("logistics:purchase-detail", pk=pk)
    try:
        order = purchase_services.purchase_confirm(
            actor=request.user, order=order, supplier_reference=form.cleaned_data.get("supplier_reference") or ""
        )
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("%(order)s is ordered; its goods are now expected.") % {"order": order})
    return redirect("logistics:purchase-detail", pk=pk)


@staff_permission_required("logistics.change_purchaseorder")
@require_POST
def purchase_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder, pk=pk)
    form = PurchaseCancelForm(request.POST)
    form.is_valid()
    try:
        order = purchase_services.purchase_cancel(
            actor=request.user, order=order, reason=form.cleaned_data.get("reason") or ""
        )
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("%(order)s is cancelled.") % {"order": order})
    return redirect("logistics:purchase-detail", pk=pk)


@staff_permission_required("logistics.change_purchaseorder")
@require_POST
def purchase_receive(request: HttpRequest, pk: int) -> HttpResponse:
    order = _purchase(pk)
    form = PurchaseReceiveForm(request.POST, order=order, lines=list(order.lines.all()))
    if form.is_valid():
        try:
            receipt = purchase_services.purchase_receive(
                actor=request.user,
                order=order,
                lines=form.receive_lines(),
                location=form.cleaned_data["location"],
                supplier_reference=form.cleaned_data.get("supplier_reference") or "",
            )
        except ValidationError as error:
            head, line_errors = _split(error, "lines")
            if head is not None:
                apply_service_error(form, head)
            for text in line_errors:
                form.add_error(None, text)
        else:
            received = sum(line.quantity for line in receipt.lines.all())
            messages.success(
                request,
                _("%(quantity)s received against %(order)s into %(location)s.")
                % {"quantity": received.normalize(), "order": order, "location": receipt.location},
            )
            return redirect("logistics:purchase-detail", pk=pk)
    return _purchase_page(request, order, receive_form=form, status=400)


# --- reorder rules ------------------------------------------------------------------------------------------------


@staff_permission_required("logistics.view_reorderrule")
def reorder_list(request: HttpRequest) -> HttpResponse:
    form = PurchaseFilterForm(request.GET)
    filters = cleaned_filters(form)
    return list_page(
        request,
        template="logistics/purchasing/reorder_list.html",
        queryset=purchase_selectors.reorder_rules(search=filters.get("q") or ""),
        filter_form=form,
        context={
            "below": purchase_selectors.reorder_below_ids(),
            "drafted": list(
                PurchaseOrder.objects.filter(pk__in=request.session.pop("reorder_drafted", [])).select_related(
                    "supplier"
                )
            ),
        },
    )


@staff_permission_required("logistics.add_purchaseorder")
@require_POST
def reorder_check(request: HttpRequest) -> HttpResponse:
    try:
        orders = purchase_services.reorder_check(actor=request.user)
    except ValidationError as error:
        message_service_error(request, error)
        return redirect("logistics:reorder-list")
    if orders:
        messages.success(
            request,
            _("Drafted or topped up: %(orders)s.") % {"orders": ", ".join(str(order) for order in orders)},
        )
        request.session["reorder_drafted"] = [order.pk for order in orders]
    else:
        messages.info(request, _("Nothing is below its minimum; no purchase order was needed."))
        request.session.pop("reorder_drafted", None)
    return redirect("logistics:reorder-list")


def _rule_page(request: HttpRequest, rule: ReorderRule | None) -> HttpResponse:
    form = ReorderRuleForm(request.POST if request.method == "POST" else None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            saved = purchase_services.reorder_rule_save(actor=request.user, rule=rule, values=form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("The reorder rule for %(product)s is saved.") % {"product": saved.product.name})
            return redirect("logistics:reorder-list")
    return render(request, "logistics/purchasing/reorder_form.html", {"form": form, "rule": rule})


@staff_permission_required("logistics.add_reorderrule")
def reorder_create(request: HttpRequest) -> HttpResponse:
    return _rule_page(request, None)


@staff_permission_required("logistics.change_reorderrule")
def reorder_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _rule_page(request, get_object_or_404(ReorderRule, pk=pk))


# --- bills of materials -------------------------------------------------------------------------------------------


@staff_permission_required("logistics.view_billofmaterials")
def bom_list(request: HttpRequest) -> HttpResponse:
    form = ProductionFilterForm(request.GET)
    filters = cleaned_filters(form)
    return list_page(
        request,
        template="logistics/production/bom_list.html",
        queryset=purchase_selectors.bom_list(search=filters.get("q") or ""),
        filter_form=form,
    )


@staff_permission_required("logistics.add_billofmaterials")
def bom_create(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = BomForm(data, initial={"product": request.GET.get("product")} if data is None else None)
    lines = BomLineFormSet(data, prefix="components")
    line_errors: list[str] = []
    if data is not None and form.is_valid() and lines.is_valid():
        try:
            bom = production_services.bom_create(
                actor=request.user,
                product=form.cleaned_data["product"],
                quantity=form.cleaned_data["quantity"],
                name=form.cleaned_data.get("name") or "",
                components=lines.components(),
            )
        except ValidationError as error:
            head, line_errors = _split(error, "components")
            if head is not None:
                apply_service_error(form, head)
        else:
            messages.success(request, _("The bill of materials of %(product)s is saved.") % {"product": bom.product})
            return redirect("logistics:bom-detail", pk=bom.pk)
    return render(
        request, "logistics/production/bom_form.html", {"form": form, "lines": lines, "line_errors": line_errors}
    )


@staff_permission_required("logistics.view_billofmaterials")
def bom_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        bom = purchase_selectors.bom_detail(pk=pk)
    except BillOfMaterials.DoesNotExist:
        raise Http404 from None
    return render(
        request, "logistics/production/bom_detail.html", {"bom": bom, "cost": purchase_selectors.bom_cost_rollup(bom)}
    )


# --- production orders --------------------------------------------------------------------------------------------


@staff_permission_required("logistics.view_productionorder")
def production_list(request: HttpRequest) -> HttpResponse:
    form = ProductionFilterForm(request.GET)
    filters = cleaned_filters(form)
    return list_page(
        request,
        template="logistics/production/production_list.html",
        queryset=purchase_selectors.production_list(search=filters.get("q") or "", state=filters.get("state") or ""),
        filter_form=form,
    )


@staff_permission_required("logistics.add_productionorder")
def production_create(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = ProductionForm(data, initial={"product": request.GET.get("product")} if data is None else None)
    if data is not None and form.is_valid():
        try:
            order = production_services.production_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            if order.state == ProductionOrder.State.READY:
                messages.success(request, _("%(order)s is planned; every component is reserved.") % {"order": order})
            else:
                messages.warning(
                    request, _("%(order)s is planned; it waits for components in stock.") % {"order": order}
                )
            return redirect("logistics:production-detail", pk=order.pk)
    return render(request, "logistics/production/production_form.html", {"form": form})


@staff_permission_required("logistics.view_productionorder")
def production_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = purchase_selectors.production_detail(pk=pk)
    except ProductionOrder.DoesNotExist:
        raise Http404 from None
    open_states = {ProductionOrder.State.WAITING, ProductionOrder.State.READY}
    return render(
        request,
        "logistics/production/production_detail.html",
        {
            "order": order,
            "components": list(order.components.all()),
            "can_reserve": order.state in open_states,
            "can_complete": order.state == ProductionOrder.State.READY,
            "can_cancel": order.state in open_states,
            "audit_entries": audit_entries_for(instance=order),
        },
    )


def _production_action(request: HttpRequest, pk: int, work: Any, success: str) -> HttpResponse:
    order = get_object_or_404(ProductionOrder, pk=pk)
    try:
        order = work(order)
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, success % {"order": order})
    return redirect("logistics:production-detail", pk=pk)


@staff_permission_required("logistics.change_productionorder")
@require_POST
def production_reserve(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(ProductionOrder, pk=pk)
    try:
        order = production_services.production_reserve(order=order)
    except ValidationError as error:
        message_service_error(request, error)
    else:
        if order.state == ProductionOrder.State.READY:
            messages.success(request, _("%(order)s is ready to make.") % {"order": order})
        else:
            messages.warning(request, _("%(order)s still waits for components.") % {"order": order})
    return redirect("logistics:production-detail", pk=pk)


@staff_permission_required("logistics.change_productionorder")
@require_POST
def production_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _production_action(
        request,
        pk,
        lambda order: production_services.production_complete(actor=request.user, order=order),
        _("%(order)s is made; the finished goods are in stock."),
    )


@staff_permission_required("logistics.change_productionorder")
@require_POST
def production_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _production_action(
        request,
        pk,
        lambda order: production_services.production_cancel(actor=request.user, order=order),
        _("%(order)s is cancelled; its components are available again."),
    )


# --- returns ------------------------------------------------------------------------------------------------------


@staff_permission_required("logistics.view_returnorder")
def return_list(request: HttpRequest) -> HttpResponse:
    form = ReturnFilterForm(request.GET)
    filters = cleaned_filters(form)
    return list_page(
        request,
        template="logistics/returns/return_list.html",
        queryset=purchase_selectors.return_list(search=filters.get("q") or "", state=filters.get("state") or ""),
        filter_form=form,
    )


def _return_initial(request: HttpRequest) -> dict[str, Any]:
    """A ticket page links here with ?ticket=<id>&ticket_reference=T-1234&organization=<id>."""
    initial: dict[str, Any] = {}
    ticket = request.GET.get("ticket", "")
    if ticket.isdigit() and len(ticket) < 18:
        initial["ticket_id"] = int(ticket)
    reference = request.GET.get("ticket_reference", "").strip()[:40]
    if reference:
        initial["ticket_reference"] = reference
    organization = request.GET.get("organization", "")
    if organization.isdigit() and Organization.objects.filter(pk=int(organization)).exists():
        initial["organization"] = int(organization)
    delivery = request.GET.get("delivery", "").strip()[:40]
    if delivery:
        initial["delivery_number"] = delivery
    return initial


@staff_permission_required("logistics.add_returnorder")
def return_create(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = ReturnForm(data, initial=_return_initial(request) if data is None else None)
    lines = ReturnLineFormSet(data, prefix="lines")
    line_errors: list[str] = []
    if data is not None and form.is_valid() and lines.is_valid():
        values = form.cleaned_data
        try:
            rma = return_services.return_create(
                actor=request.user,
                organization=values["organization"],
                delivery=values.get("delivery_number"),
                warehouse=values.get("warehouse"),
                ticket_id=values.get("ticket_id"),
                ticket_reference=values.get("ticket_reference") or "",
                reason=values["reason"],
                lines=lines.lines(),
            )
        except ValidationError as error:
            head, line_errors = _split(error, "lines")
            if head is not None:
                errors = head.message_dict if hasattr(head, "error_dict") else {NON_FIELD_ERRORS: head.messages}
                if "delivery" in errors:
                    errors["delivery_number"] = errors.pop("delivery")
                apply_service_error(form, ValidationError(errors))
        else:
            messages.success(request, _("Return %(rma)s is expected.") % {"rma": rma})
            return redirect("logistics:return-detail", pk=rma.pk)
    return render(
        request, "logistics/returns/return_form.html", {"form": form, "lines": lines, "line_errors": line_errors}
    )


def _return(pk: int) -> ReturnOrder:
    try:
        return purchase_selectors.return_detail(pk=pk)
    except ReturnOrder.DoesNotExist:
        raise Http404 from None


@staff_permission_required("logistics.view_returnorder")
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rma = _return(pk)
    return render(
        request,
        "logistics/returns/return_detail.html",
        {
            "rma": rma,
            "lines": list(rma.lines.all()),
            "can_receive": rma.state == ReturnOrder.State.OPEN,
            "receive_form": ReturnReceiveForm(rma=rma),
            "audit_entries": audit_entries_for(instance=rma),
        },
    )


@staff_permission_required("logistics.change_returnorder")
@require_POST
def return_receive(request: HttpRequest, pk: int) -> HttpResponse:
    rma = get_object_or_404(ReturnOrder.objects.select_related("warehouse"), pk=pk)
    form = ReturnReceiveForm(request.POST, rma=rma)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("logistics:return-detail", pk=pk)
    try:
        rma = return_services.return_receive(actor=request.user, rma=rma, location=form.cleaned_data["location"])
    except ValidationError as error:
        message_service_error(request, error)
    else:
        messages.success(request, _("Return %(rma)s is received.") % {"rma": rma})
    return redirect("logistics:return-detail", pk=pk)
