"""Staff pages of the CRM: accounts, contacts and their consent, each user's activities, import and export."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from core.accounts.decorators import staff_permission_required
from core.audit.selectors import audit_entries_for
from core.forms import apply_service_error, save_form_with_service
from core.lists import PER_PAGE, ListPaginator, cleaned_filters, list_page
from core.parties.models import Person
from frontoffice.crm import exporting, import_tasks, importing, selectors, services
from frontoffice.crm.forms import (
    AccountFilterForm,
    AccountForm,
    AccountOpenForm,
    ActivityForm,
    ContactFilterForm,
    ContactProfileForm,
    MergeForm,
)
from frontoffice.crm.models import Account, Activity, ContactProfile


def _filtered_accounts(
    request: HttpRequest, form: AccountFilterForm, matching: selectors.OrganizationMatch | None = None
) -> QuerySet[Account]:
    filters = cleaned_filters(form)
    return selectors.account_list(
        search=filters.get("q") or "",
        stage=filters.get("stage") or "",
        segment=filters.get("segment") or "",
        owner_id=request.user.pk if filters.get("owner") == "me" else None,
        ordering=filters.get("sort") or "organization__name",
        matching=matching,
    )


# What a row of the account list shows (crm/templatetags/account_rows.py): fewer columns to read and to load.
ACCOUNT_ROW_FIELDS = (
    "industry",
    "tags",
    "lifecycle_stage",
    "segment",
    "created_at",
    "organization__name",
    "owner__full_name",
    "owner__email",
)


class _AccountSearchRows:
    """A search's account list as ListPaginator reads it: a slice is one statement that also counts the matches
    (selectors.account_search_page); `narrow` turns False when the search found too many organizations for it."""

    def __init__(self, **chosen: Any) -> None:
        self.chosen = chosen
        self.counted: int | None = None
        self.narrow = True

    def __getitem__(self, part: slice) -> list[selectors.AccountRow]:
        start = part.start or 0
        found = selectors.account_search_page(**self.chosen, offset=start, limit=part.stop - start)
        self.counted, self.narrow = found.total, found.narrow
        return found.rows

    def count(self) -> int:
        self[0:1]  # the first row carries the total
        return self.counted or 0


@staff_permission_required("crm.view_account")
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET)
    filters = cleaned_filters(form)
    search = filters.get("q") or ""
    if search:  # one statement for the page and its count, when the search is narrow (most are)
        rows = _AccountSearchRows(
            search=search,
            stage=filters.get("stage") or "",
            segment=filters.get("segment") or "",
            owner_id=request.user.pk if filters.get("owner") == "me" else None,
            ordering=filters.get("sort") or "organization__name",
        )
        paginator = ListPaginator(rows, PER_PAGE, count_from_rows=True)
        paginator.get_page(request.GET.get("page"))
        if rows.narrow:
            return list_page(
                request, template="crm/account_list.html", queryset=None, filter_form=form, paginator=paginator
            )
    matching = selectors.organizations_matching(search) if search else None
    queryset = _filtered_accounts(request, form, matching).only(*ACCOUNT_ROW_FIELDS)
    return list_page(
        request,
        template="crm/account_list.html",
        queryset=queryset,
        filter_form=form,
        count_from_rows=matching is not None and matching.narrow,
    )


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


# --- contacts -----------------------------------------------------------------------------


def _filtered_contacts(form: ContactFilterForm) -> QuerySet[Person]:
    filters = cleaned_filters(form)
    return selectors.contact_list(
        search=filters.get("q") or "",
        email_consent=filters.get("email_consent") or "",
        phone_consent=filters.get("phone_consent") or "",
        ordering=filters.get("sort") or "last_name",
    )


@staff_permission_required("crm.view_contactprofile")
def contact_list(request: HttpRequest) -> HttpResponse:
    """People at the organizations that have an account, with their role and consent."""
    form = ContactFilterForm(request.GET)
    queryset = _filtered_contacts(form)
    return list_page(request, template="crm/contact_list.html", queryset=queryset, filter_form=form)


# --- export -------------------------------------------------------------------------------


def _export_format(request: HttpRequest) -> str:
    file_format = request.GET.get("format", "csv")
    if file_format not in exporting.EXPORT_FORMATS:
        raise Http404
    return file_format


@staff_permission_required("crm.view_account")
def account_export(request: HttpRequest) -> StreamingHttpResponse | FileResponse:
    """Every account the list's current search and filters select (not only the page), as CSV or XLSX."""
    file_format = _export_format(request)
    queryset = _filtered_accounts(request, AccountFilterForm(request.GET))
    return exporting.export_response(
        file_format=file_format,
        stem="accounts",
        columns=exporting.ACCOUNT_COLUMNS,
        rows=exporting.account_rows(queryset),
    )


@staff_permission_required("crm.view_contactprofile")
def contact_export(request: HttpRequest) -> StreamingHttpResponse | FileResponse:
    """Every contact the list's current search and filters select, as CSV or XLSX."""
    file_format = _export_format(request)
    queryset = _filtered_contacts(ContactFilterForm(request.GET))
    return exporting.export_response(
        file_format=file_format,
        stem="contacts",
        columns=exporting.CONTACT_COLUMNS,
        rows=exporting.contact_rows(queryset),
    )


# --- import -------------------------------------------------------------------------------

IMPORT_PAGES = {
    importing.ACCOUNTS: {
        "title": _lazy("Import accounts"),
        "list_url": "crm:account-list",
        "list_title": _lazy("Accounts"),
        "url": "crm:account-import",
        "job_url": "crm:account-import-job",
        "confirm_url": "crm:account-import-confirm",
        "template_url": "crm:account-import-template",
    },
    importing.CONTACTS: {
        "title": _lazy("Import contacts"),
        "list_url": "crm:contact-list",
        "list_title": _lazy("Contacts"),
        "url": "crm:contact-import",
        "job_url": "crm:contact-import-job",
        "confirm_url": "crm:contact-import-confirm",
        "template_url": "crm:contact-import-template",
    },
}
IMPORT_PREVIEW_PER_PAGE = 100


def _import_upload(request: HttpRequest, kind: str) -> HttpResponse:
    """Step 1: upload a file; it is read and kept, and its dry run starts in the background."""
    columns = importing.COLUMNS[kind]
    form = importing.ImportUploadForm(request.POST or None, request.FILES or None, columns=columns)
    if request.method == "POST" and form.is_valid():
        token = importing.import_job_start(
            kind=kind,
            user=request.user,
            file_name=form.cleaned_data["file"].name,
            content=form.content,
            sheet=form.sheet,
        )
        transaction.on_commit(lambda: import_tasks.run_import.delay(token, False))
        return redirect(IMPORT_PAGES[kind]["job_url"], token=token)
    return render(
        request,
        "crm/import_upload.html",
        {"form": form, "kind": kind, "import_page": IMPORT_PAGES[kind], "columns": columns, **_import_limits()},
    )


def _import_limits() -> dict[str, int]:
    return {"max_rows": importing.MAX_ROWS, "max_megabytes": importing.MAX_FILE_BYTES // (1024 * 1024)}


def _import_job(request: HttpRequest, kind: str, token: str) -> HttpResponse:
    """Step 2 and 3: the dry run's progress, then its preview and the confirmation; then the import's outcome."""
    job = importing.import_job_get(token=token, kind=kind, user=request.user)
    target = request.htmx.target if request.htmx else None
    if job is None:
        if target == "import-progress":
            return HttpResponseClientRefresh()  # expired while polling: stop, and show the page's 404
        raise Http404
    is_running = job["status"] in importing.RUNNING
    if target == "import-progress" and not is_running:
        return HttpResponseClientRefresh()  # finished: show the whole page with the outcome
    report = None if is_running else importing.import_job_report(job=job)
    show = request.GET.get("show", "")
    rows = report["rows"] if report else []
    if show not in (importing.NEW, importing.UPDATE, importing.ERROR):
        # Errors first when there are any: they are what the user has to fix.
        show = importing.ERROR if report and report["counts"][importing.ERROR] else ""
    if show:
        rows = [row for row in rows if row["action"] == show]
    context = {
        "job": job,
        "kind": kind,
        "import_page": IMPORT_PAGES[kind],
        "report": report,
        "page": Paginator(rows, IMPORT_PREVIEW_PER_PAGE).get_page(request.GET.get("page")),
        "show": show,
        "is_running": is_running,
        "percent": int(100 * job["done"] / job["total"]) if job["total"] else 0,
    }
    partials = {"import-progress": "#progress", "preview": "#preview"}
    return render(request, "crm/import_job.html" + partials.get(target or "", ""), context)


def _import_confirm(request: HttpRequest, kind: str, token: str) -> HttpResponse:
    """Step 3: the user confirms a clean dry run; the import runs for real in the background."""
    job = importing.import_job_get(token=token, kind=kind, user=request.user)
    if job is None:
        raise Http404
    if importing.import_job_confirm(job=job):
        transaction.on_commit(lambda: import_tasks.run_import.delay(token, True))
    else:
        messages.warning(
            request,
            _("This upload is already being imported, or its check found errors; upload the file again to start over."),
        )
    return redirect(IMPORT_PAGES[kind]["job_url"], token=token)


def _import_template(request: HttpRequest, kind: str) -> StreamingHttpResponse | FileResponse:
    """An empty file with the header row, to fill in."""
    return exporting.export_response(
        file_format=_export_format(request),
        stem=f"{kind}-template",
        columns=importing.COLUMNS[kind],
        rows=[],
    )


_IMPORT_ACCOUNTS = ("crm.add_account", "crm.change_account", "parties.add_organization", "parties.change_organization")
_IMPORT_CONTACTS = ("parties.add_person", "parties.change_person", "crm.change_contactprofile")


@staff_permission_required(*_IMPORT_ACCOUNTS)
def account_import(request: HttpRequest) -> HttpResponse:
    return _import_upload(request, importing.ACCOUNTS)


@staff_permission_required(*_IMPORT_ACCOUNTS)
def account_import_job(request: HttpRequest, token: str) -> HttpResponse:
    return _import_job(request, importing.ACCOUNTS, token)


@staff_permission_required(*_IMPORT_ACCOUNTS)
@require_POST
def account_import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _import_confirm(request, importing.ACCOUNTS, token)


@staff_permission_required(*_IMPORT_ACCOUNTS)
def account_import_template(request: HttpRequest) -> StreamingHttpResponse | FileResponse:
    return _import_template(request, importing.ACCOUNTS)


@staff_permission_required(*_IMPORT_CONTACTS)
def contact_import(request: HttpRequest) -> HttpResponse:
    return _import_upload(request, importing.CONTACTS)


@staff_permission_required(*_IMPORT_CONTACTS)
def contact_import_job(request: HttpRequest, token: str) -> HttpResponse:
    return _import_job(request, importing.CONTACTS, token)


@staff_permission_required(*_IMPORT_CONTACTS)
@require_POST
def contact_import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _import_confirm(request, importing.CONTACTS, token)


@staff_permission_required(*_IMPORT_CONTACTS)
def contact_import_template(request: HttpRequest) -> StreamingHttpResponse | FileResponse:
    return _import_template(request, importing.CONTACTS)
