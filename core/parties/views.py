"""Staff pages for organizations and people."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.accounts.decorators import staff_permission_required, staff_required
from core.audit.selectors import audit_entries_for
from core.forms import apply_service_error, save_form_with_service
from core.lists import cleaned_filters, list_page
from core.parties import selectors, services
from core.parties.forms import (
    AddressForm,
    OrganizationFilterForm,
    OrganizationForm,
    PersonFilterForm,
    PersonForm,
)
from core.parties.models import Address, Organization, Person

ACTIVE = {"yes": True, "no": False}


@staff_permission_required("parties.view_organization")
def organization_list(request: HttpRequest) -> HttpResponse:
    form = OrganizationFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.organization_list(
        search=filters.get("q") or "",
        role=filters.get("role") or "",
        is_active=ACTIVE.get(filters.get("active") or ""),
        ordering=filters.get("sort") or "name",
    )
    return list_page(request, template="parties/organization_list.html", queryset=queryset, filter_form=form)


@staff_permission_required("parties.view_organization")
def organization_lookup(request: HttpRequest) -> HttpResponse:
    """The best ten matches for an autocomplete box."""
    query = request.GET.get("q", "").strip()[:100]
    options = selectors.organization_list(search=query, is_active=True)[:10] if query else []
    return render(request, "includes/autocomplete_options.html", {"options": options, "query": query})


@staff_permission_required("parties.change_organization")
@require_POST
def organization_bulk(request: HttpRequest) -> HttpResponse:
    """Activate or deactivate the selected organizations."""
    ids = [int(pk) for pk in request.POST.getlist("selected") if pk.isdigit()]
    action = request.POST.get("action")
    if action not in {"activate", "deactivate"} or not ids:
        messages.warning(request, _("Select at least one organization and an action."))
    else:
        count = services.organization_set_active(actor=request.user, pks=ids, is_active=action == "activate")
        messages.success(
            request,
            ngettext("%(count)d organization updated.", "%(count)d organizations updated.", count) % {"count": count},
        )
    return redirect(request.POST.get("next") or "parties:organization-list")


@staff_permission_required("parties.view_organization")
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(Organization.objects.prefetch_related("addresses"), pk=pk)
    return render(
        request,
        "parties/organization_detail.html",
        {
            "organization": organization,
            "people": selectors.organization_people(organization=organization)[:100],
            "duplicates": selectors.organization_duplicates(
                name=organization.name,
                org_number=organization.org_number,
                email=organization.email,
                exclude_pk=organization.pk,
            ),
            "audit_entries": audit_entries_for(instance=organization),
        },
    )


def _save_with_duplicate_check(request, form, find_duplicates, save) -> tuple[object | None, list]:
    """Run `save` unless likely duplicates exist and the user has not confirmed that this is a new record."""
    duplicates = []
    if form.is_valid():
        duplicates = list(find_duplicates(form.cleaned_data))
        if duplicates and not form.cleaned_data.get("confirm_duplicate"):
            form.data = form.data.copy()
            form.data["confirm_duplicate"] = "on"
            return None, duplicates
        values = {k: v for k, v in form.cleaned_data.items() if k != "confirm_duplicate"}
        try:
            return save(values), []
        except ValidationError as error:
            apply_service_error(form, error)
    return None, duplicates


@staff_permission_required("parties.add_organization")
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None, initial={"roles": ["customer"], "country": "SE"})
    duplicates = []
    if request.method == "POST":
        organization, duplicates = _save_with_duplicate_check(
            request,
            form,
            lambda data: selectors.organization_duplicates(
                name=data.get("name", ""), org_number=data.get("org_number", ""), email=data.get("email", "")
            ),
            lambda values: services.organization_create(actor=request.user, **values),
        )
        if organization is not None:
            messages.success(request, _("%(name)s was created.") % {"name": organization})
            return redirect(organization)
    return render(request, "parties/organization_form.html", {"form": form, "duplicates": duplicates})


@staff_permission_required("parties.change_organization")
def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=pk)
    return save_form_with_service(
        request,
        form=OrganizationForm(request.POST or None, instance=organization),
        save=lambda values: services.organization_update(actor=request.user, organization=organization, **values),
        template="parties/organization_form.html",
        context={"organization": organization},
    )


@staff_permission_required("parties.view_organization")
def organization_duplicates(request: HttpRequest) -> HttpResponse:
    return render(
        request, "parties/organization_duplicates.html", {"groups": selectors.organization_duplicate_groups()}
    )


def _address_owner(request: HttpRequest, kind: str, pk: int):
    model = Organization if kind == "organization" else Person
    owner = get_object_or_404(model, pk=pk)
    if not request.user.has_perm(f"parties.change_{model._meta.model_name}") and not request.user.has_perm(
        "parties.change_address"
    ):
        raise PermissionDenied
    return owner


@staff_required
def address_edit(request: HttpRequest, owner_kind: str, owner_pk: int, pk: int | None = None) -> HttpResponse:
    # A new address takes the right to add addresses, a change the right to change them (as the owner's page
    # shows the links); both the right to change the owner or addresses in general.
    if not request.user.has_perm("parties.change_address" if pk else "parties.add_address"):
        raise PermissionDenied
    owner = _address_owner(request, owner_kind, owner_pk)
    address = get_object_or_404(Address, pk=pk, **{owner_kind: owner}) if pk else None
    form = AddressForm(request.POST or None, instance=address, initial={"country": "SE"})
    if request.method == "POST" and form.is_valid():
        try:
            services.address_save(
                actor=request.user,
                address=address,
                **({owner_kind: owner} if address is None else {}),
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("The address is saved."))
            return redirect(owner)
    return render(request, "parties/address_form.html", {"form": form, "owner": owner, "address": address})


@staff_permission_required("parties.change_address")
@require_POST
def address_delete(request: HttpRequest, owner_kind: str, owner_pk: int, pk: int) -> HttpResponse:
    owner = _address_owner(request, owner_kind, owner_pk)
    address = get_object_or_404(Address, pk=pk, **{owner_kind: owner})
    services.address_delete(actor=request.user, address=address)
    messages.success(request, _("The address was removed."))
    return redirect(owner)


@staff_permission_required("parties.view_person")
def person_list(request: HttpRequest) -> HttpResponse:
    form = PersonFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.person_list(
        search=filters.get("q") or "",
        role=filters.get("role") or "",
        organization_id=filters.get("organization"),
        has_portal_user=ACTIVE.get(filters.get("portal") or ""),
        ordering=filters.get("sort") or "last_name",
    )
    return list_page(request, template="parties/person_list.html", queryset=queryset, filter_form=form)


@staff_permission_required("parties.view_person")
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(
        Person.objects.select_related("organization", "user", "portal_invited_by").prefetch_related("addresses"),
        pk=pk,
    )
    return render(
        request,
        "parties/person_detail.html",
        {
            "person": person,
            "duplicates": selectors.person_duplicates(
                email=person.email, first_name=person.first_name, last_name=person.last_name, exclude_pk=person.pk
            ),
            "audit_entries": audit_entries_for(instance=person),
        },
    )


@staff_permission_required("parties.add_person")
def person_create(request: HttpRequest) -> HttpResponse:
    initial = {"roles": ["customer"]}
    if request.GET.get("organization", "").isdigit():
        initial["organization"] = int(request.GET["organization"])
    form = PersonForm(request.POST or None, initial=initial)
    duplicates = []
    if request.method == "POST":
        person, duplicates = _save_with_duplicate_check(
            request,
            form,
            lambda data: selectors.person_duplicates(
                email=data.get("email", ""), first_name=data.get("first_name", ""), last_name=data.get("last_name", "")
            ),
            lambda values: services.person_create(actor=request.user, **values),
        )
        if person is not None:
            messages.success(request, _("%(name)s was created.") % {"name": person})
            return redirect(person)
    return render(request, "parties/person_form.html", {"form": form, "duplicates": duplicates})


@staff_permission_required("parties.change_person")
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    return save_form_with_service(
        request,
        form=PersonForm(request.POST or None, instance=person),
        save=lambda values: services.person_update(actor=request.user, person=person, **values),
        template="parties/person_form.html",
        context={"person": person},
    )


@staff_permission_required("parties.invite_portal_user")
@require_POST
def person_invite(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    try:
        services.person_invite_to_portal(actor=request.user, person=person)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("An invitation was e-mailed to %(email)s.") % {"email": person.email})
    return redirect(person)
