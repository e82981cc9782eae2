"""Staff pages for the product catalog."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.catalog import selectors, services
from core.catalog.forms import ProductFilterForm, ProductForm
from core.catalog.models import Product
from core.forms import save_form_with_service
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
    return save_form_with_service(
        request,
        form=ProductForm(request.POST or None, initial={"currency": "SEK"}),
        save=lambda values: services.product_create(actor=request.user, **values),
        template="catalog/product_form.html",
        context={},
        success_message=_("%(name)s was added to the catalog."),
    )


@staff_permission_required("catalog.change_product")
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    return save_form_with_service(
        request,
        form=ProductForm(request.POST or None, instance=product),
        save=lambda values: services.product_update(actor=request.user, product=product, **values),
        template="catalog/product_form.html",
        context={"product": product},
    )
