"""Staff pages for the product catalog."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.catalog import selectors, services
from core.catalog.forms import ProductFilterForm, ProductForm
from core.catalog.models import Product
from core.forms import apply_service_error
from core.lists import cleaned_filters, list_page


@staff_permission_required("catalog.view_product")
def product_list(request: HttpRequest) -> HttpResponse:
    form = ProductFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.product_list(
        search=filters.get("q") or "",
        type=filters.get("type") or "",
        is_active={"yes": True, "no": False}.get(filters.get("active") or ""),
        ordering=filters.get("sort") or "name",
    )
    return list_page(request, template="catalog/product_list.html", queryset=queryset, filter_form=form)


@staff_permission_required("catalog.view_product")
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product.objects.select_related("unit", "tax_rate", "currency"), pk=pk)
    return render(
        request,
        "catalog/product_detail.html",
        {"product": product, "audit_entries": audit_entries_for(instance=product)},
    )


@staff_permission_required("catalog.add_product")
def product_create(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None, initial={"currency": "SEK"})
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("%(product)s was added to the catalog.") % {"product": product})
            return redirect(product)
    return render(request, "catalog/product_form.html", {"form": form})


@staff_permission_required("catalog.change_product")
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_update(actor=request.user, product=product, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Your changes to %(product)s are saved.") % {"product": product})
            return redirect(product)
    return render(request, "catalog/product_form.html", {"form": form, "product": product})
