"""Staff pages of the CRM: accounts, contact consent, and each user's activities."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.forms import apply_service_error, save_form_with_service
from core.lists import cleaned_filters, list_page
from core.parties.models import Person
from frontoffice.crm import selectors, services
from frontoffice.crm.forms import (
    AccountFilterForm,
    AccountForm,
    AccountOpenForm,
    ActivityForm,
    ContactProfileForm,
    MergeForm,
)
from frontoffice.crm.models import Account, Activity, ContactProfile


@staff_permission_required("crm.view_account")
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET)
    filters = cleaned_filters(form)
    queryset = selectors.account_list(
        search=filters.get("q") or "",
        stage=filters.get("stage") or "",
        segment=filters.get("segment") or "",
        owner_id=request.user.pk if filters.get("owner") == "me" else None,
        ordering=filters.get("sort") or "organization__name",
    )
    return list_page(request, template="crm/account_list.html", queryset=queryset, filter_form=form)


@staff_permission_required("crm.add_account")
def account_open(request: HttpRequest) -> HttpResponse:
    initial = {"owner": request.user.pk, "lifecycle_stage": Account.Stage.PROSPECT}
    if request.GET.get("organization", "").isdigit():
        initial["organization"] = int(request.GET["organization"])
    return save_form_with_service(
        request,
        form=AccountOpenForm(request.POST or None, initial=initial),
        save=lambda values: services.account_open(actor=request.user, **values),
        template="crm/account_form.html",
        context={},
        success_message=_("An account for %(name)s is open."),
    )


@staff_permission_required("crm.change_account")
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("organization"), pk=pk)
    return save_form_with_service(
        request,
        form=AccountForm(request.POST or None, instance=account),
        save=lambda values: services.account_update(actor=request.user, account=account, **values),
        template="crm/account_form.html",
        context={"account": account},
    )


@staff_permission_required("crm.view_account")
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("organization", "owner"), pk=pk)
    form = ActivityForm(account=account, initial={"assignee": request.user.pk, "kind": Activity.Kind.CALL})
    return render(
        request,
        "crm/account_detail.html",
        {
            "account": account,
            "contacts": selectors.account_contacts(account=account),
            "activities": selectors.account_activities(account=account),
            "activity_form": form,
            "audit_entries": audit_entries_for(instance=account),
        },
    )


@staff_permission_required("crm.add_activity")
def activity_create(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("organization"), pk=account_pk)
    form = ActivityForm(request.POST or None, account=account, initial={"assignee": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_create(actor=request.user, account=account, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("The activity is saved."))
            return redirect(account)
    return render(request, "crm/activity_form.html", {"form": form, "account": account})


@staff_permission_required("crm.change_activity")
@require_POST
def activity_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(Activity, pk=pk)
    activity = services.activity_set_done(actor=request.user, activity=activity, done=not activity.is_done)
    if request.htmx:
        return render(request, "crm/_activity_row.html", {"activity": activity})
    messages.success(request, _("Marked as done.") if activity.is_done else _("Opened again."))
    return redirect(request.POST.get("next") or "crm:my-activities")


@staff_permission_required("crm.view_activity")
def my_activities(request: HttpRequest) -> HttpResponse:
    bucket = request.GET.get("show", "today")
    if bucket not in selectors.BUCKETS:
        bucket = "today"
    return render(
        request,
        "crm/my_activities.html",
        {
            "bucket": bucket,
            "activities": selectors.activities_for(user=request.user, bucket=bucket)[:200],
            "counts": selectors.activity_counts(user=request.user),
        },
    )


@staff_permission_required("crm.change_contactprofile")
def contact_profile_edit(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organization"), pk=person_pk)
    profile = ContactProfile.objects.filter(person=person).first() or ContactProfile(person=person)
    form = ContactProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_profile_update(
                actor=request.user,
                person=person,
                role=form.cleaned_data["role"],
                email_consent=form.cleaned_data["email_consent"],
                phone_consent=form.cleaned_data["phone_consent"],
                source=form.cleaned_data["source"],
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("The contact's profile is saved."))
            account = Account.objects.filter(organization_id=person.organization_id).first()
            return redirect(account or person)
    return render(request, "crm/contact_profile_form.html", {"form": form, "person": person, "profile": profile})


@staff_permission_required("crm.change_account", "parties.change_organization")
def customers_merge(request: HttpRequest) -> HttpResponse:
    """Merge two organizations that are the same customer: pick them, see what moves, confirm."""
    form = MergeForm(request.POST or request.GET or None)
    preview = None
    if form.is_bound and form.is_valid():
        survivor, duplicate = form.cleaned_data["survivor"], form.cleaned_data["duplicate"]
        if request.method == "POST" and request.POST.get("confirm") == "on":
            try:
                services.customers_merge(actor=request.user, survivor=survivor, duplicate=duplicate)
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(duplicate)s was merged into %(survivor)s.") % {"duplicate": duplicate, "survivor": survivor},
                )
                return redirect(survivor)
        preview = selectors.merge_preview(survivor=survivor, duplicate=duplicate)
    return render(request, "crm/merge.html", {"form": form, "preview": preview})
