"""The customer portal's support pages: a customer's tickets, opening one, the conversation, and guest links.

A customer sees the tickets their organization lets them see (selectors.tickets_for_person); anything else,
a guessed number or file id included, does not exist here (404). Internal notes and their files never reach
these pages: every read goes through the portal selectors, which do not load them.
"""

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.accounts.decorators import customer_required
from core.exceptions import ServiceError
from core.forms import apply_service_error
from core.lists import FilterForm, cleaned_filters, list_page
from core.parties.models import Person
from core.parties.selectors import person_for_portal_user, portal_person_and_colleagues
from frontoffice.service import attachments, selectors, services
from frontoffice.service.models import Attachment, Category, Message, Priority, Ticket

PER_PAGE = 20
Status = Ticket.Status


# --- forms ------------------------------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files (up to the limit), each checked by its content; cleans to a list of CheckedFile."""

    widget = MultipleFileInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Attachments"))
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list[attachments.CheckedFile]:
        files = [upload for upload in (data if isinstance(data, list | tuple) else [data]) if upload]
        try:
            return attachments.check_uploads(files)
        except ServiceError as error:
            raise forms.ValidationError(error.messages) from None


def _attachments_help() -> str:
    return _("Images, PDF, text, Office documents or ZIP archives; up to %(size)s each, %(count)d files at most.") % {
        "size": filesizeformat(attachments.max_bytes()),
        "count": attachments.MAX_FILES_PER_MESSAGE,
    }


class TicketFilterForm(FilterForm):
    status = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[
            ("", gettext_lazy("All tickets")),
            ("open", gettext_lazy("Open")),
            ("waiting", gettext_lazy("Waiting for you")),
            ("closed", gettext_lazy("Resolved or closed")),
        ],
    )


class TicketForm(forms.Form):
    """A new ticket as a customer writes it; the priority counts only where the category lets customers choose."""

    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=Ticket._meta.get_field("subject").max_length,
        help_text=gettext_lazy("A short summary, for example “Invoice 1042 shows the wrong address”."),
    )
    description = forms.CharField(
        label=gettext_lazy("Describe your request"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("What happened, what you expected, and any error message you saw."),
    )
    category = forms.TypedChoiceField(label=gettext_lazy("What is it about?"), coerce=int, empty_value=None)
    priority = forms.TypedChoiceField(
        label=gettext_lazy("Priority"),
        choices=Priority.choices,
        coerce=int,
        required=False,
        initial=Priority.NORMAL,
    )
    attachments = AttachmentsField()
    cc = forms.MultipleChoiceField(
        label=gettext_lazy("Keep colleagues informed"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("They get our answers by e-mail and can follow the ticket here."),
    )

    def __init__(self, *args, colleagues: list[Person], suggest_url: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.colleagues = {str(person.pk): person for person in colleagues}
        if colleagues:
            self.fields["cc"].choices = [
                (str(person.pk), f"{person}" + (f" ({person.job_title})" if person.job_title else ""))
                for person in colleagues
            ]
        else:
            del self.fields["cc"]
        self.categories = {category.pk: category for category in selectors.portal_categories_cached()}
        if self.categories:
            self.fields["category"].choices = [("", _("Choose…"))] + [
                (category.pk, category.name) for category in self.categories.values()
            ]
        else:
            del self.fields["category"]  # the ticket goes to the default queue
        self.priority_category_ids = [
            pk for pk, category in self.categories.items() if category.customer_may_set_priority
        ]
        self.fields["attachments"].help_text = _attachments_help()
        # The subject lives outside the <form> element (next to the help suggestions, which hold forms of their own).
        subject_attrs = {"form": "ticket-form", "autocomplete": "off"}
        if suggest_url:
            subject_attrs.update(
                {"hx-get": suggest_url, "hx-trigger": "keyup changed delay:400ms", "hx-target": "#suggestions"}
            )
        self.fields["subject"].widget.attrs.update(subject_attrs)

    @property
    def priority_shown(self) -> bool:
        """Whether the priority field starts visible: the category (as chosen so far) lets the customer choose."""
        value = self["category"].value() if "category" in self.fields else None
        return str(value or "") in {str(pk) for pk in self.priority_category_ids}

    def clean_category(self) -> Category | None:
        return self.categories.get(self.cleaned_data.get("category"))

    def clean_cc(self) -> list[Person]:
        return [self.colleagues[pk] for pk in self.cleaned_data.get("cc", []) if pk in self.colleagues]


class ReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Your reply"), widget=forms.Textarea(attrs={"rows": 4}))
    attachments = AttachmentsField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _attachments_help()


RATINGS = [
    (1, gettext_lazy("Very poor")),
    (2, gettext_lazy("Poor")),
    (3, gettext_lazy("Okay")),
    (4, gettext_lazy("Good")),
    (5, gettext_lazy("Excellent")),
]


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("How did we do?"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _field_error_or_message(form: forms.Form, error: ServiceError) -> str:
    """A service's error on the form's field it names; one about the ticket as a whole comes back as text for the
    page's alert (the form may not even be shown, as on a ticket that was closed meanwhile)."""
    if hasattr(error, "error_dict"):
        apply_service_error(form, error)
        return ""
    return " ".join(error.messages)


def _apply_error(form: forms.Form, error: ServiceError) -> None:
    """A service's error on the form; routing problems are the customer's choice of category, not "queues"."""
    if hasattr(error, "error_dict") and "queue" in error.error_dict:
        form.add_error(
            "category" if "category" in form.fields else None,
            _("We cannot take requests about this right now. Please contact us by e-mail."),
        )
        return
    apply_service_error(form, error)


# --- helpers ----------------------------------------------------------------------------------------------------


def _person(request: HttpRequest) -> Person | None:
    """The signed-in customer's person, or None when the login belongs to no active person."""
    person = person_for_portal_user(user=request.user)
    if person is None or not person.is_active:
        return None
    person.user = request.user  # the login it was found by: person.user (the mail's language) reads no row again
    return person


def _help_center_url(name: str) -> str:
    # The help center provides suggestions and articles; the form works (without them) where it is not installed.
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _customer_ticket(request: HttpRequest, number: int) -> Ticket:
    """A ticket this customer may see, for a write (the service locks and reloads it); 404 for any other."""
    return get_object_or_404(selectors.tickets_for_customer(user=request.user), number=number)


def _first_name(user) -> str:
    return user.full_name.split()[0] if user is not None and user.full_name.strip() else ""


def _conversation(ticket: Ticket, *, viewer: Person | None, file_url: Callable[[Attachment], str]) -> list[Message]:
    """The public messages with who wrote each (in the customer's words) and their files' links."""
    conversation = list(ticket.public_messages)
    for message in conversation:
        message.is_mine = bool(message.from_customer and viewer and message.author_person_id == viewer.pk)
        message.author_company = ""
        if message.from_customer:
            if message.is_mine:
                message.author_name = _("You")
            elif message.author_person is not None:
                message.author_name = str(message.author_person)
            else:
                message.author_name = _("Customer")
        else:
            message.author_name = _first_name(message.author_user) or _("Support team")
            message.author_company = settings.COMPANY_NAME
        message.files = list(message.attachments.all())
        for attachment in message.files:
            attachment.url = file_url(attachment)
            attachment.is_image = attachment.content_type in attachments.INLINE_TYPES
    return conversation


def _ticket_context(ticket: Ticket, *, viewer: Person | None, file_url: Callable[[Attachment], str]) -> dict:
    is_merged = ticket.merged_into_id is not None
    is_done = ticket.status in Ticket.DONE_STATUSES
    return {
        "ticket": ticket,
        "conversation": _conversation(ticket, viewer=viewer, file_url=file_url),
        "handled_by": _first_name(ticket.assignee),
        "is_merged": is_merged,
        "can_reply": ticket.status != Status.CLOSED and not is_merged,
        "can_close": ticket.status != Status.CLOSED and not is_merged,
        "can_reopen": is_done and not is_merged,
        "can_rate": is_done and not is_merged,
        "requested_by_viewer": viewer is not None and ticket.requester_id == viewer.pk,
        "company": settings.COMPANY_NAME,
    }


def _render_ticket(
    request: HttpRequest,
    number: int,
    *,
    reply_form: ReplyForm | None = None,
    rate_form: RatingForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    try:
        ticket = selectors.portal_ticket(user=request.user, number=number)
    except Ticket.DoesNotExist:
        raise Http404 from None
    viewer = _person(request)
    context = _ticket_context(
        ticket, viewer=viewer, file_url=lambda attachment: reverse("portal-ticket-attachment", args=[attachment.pk])
    )
    context.update(
        {
            "reply_form": reply_form or ReplyForm(),
            "rate_form": rate_form
            or RatingForm(initial={"rating": ticket.csat_rating, "comment": ticket.csat_comment}),
            "reply_url": reverse("portal-ticket-reply", args=[ticket.number]),
            "error": error,
            "is_guest": False,
        }
    )
    return render(request, "service/portal/ticket.html", context, status=status)


# --- signed-in customers --------------------------------------------------------------------------------------


@customer_required
@require_safe
def ticket_list(request: HttpRequest) -> HttpResponse:
    """The customer's tickets, the latest activity first; the ones waiting for the customer stand out."""
    filter_form = TicketFilterForm(request.GET)
    filters = cleaned_filters(filter_form)
    status = filters.get("status") or ""
    tickets = selectors.portal_ticket_list(user=request.user, status=status, search=filters.get("q") or "")
    return list_page(
        request,
        template="service/portal/ticket_list.html",
        queryset=tickets,
        filter_form=filter_form,
        per_page=PER_PAGE,
    )


@customer_required
@require_http_methods(["GET", "HEAD", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    """A new ticket: subject (with help articles suggested as it is typed), description, category, files, copies."""
    # One plain statement for the person and their colleagues; opening a ticket takes the whole person, with
    # their organization, where the form shows only names.
    person, colleagues = portal_person_and_colleagues(user=request.user, whole=request.method == "POST")
    if person is not None:
        person.user = request.user  # the login it was found by: person.user (the mail's language) reads no row
    if person is None or not person.is_active:
        status = 400 if request.method == "POST" else 200
        return render(request, "service/portal/ticket_create.html", {"form": None}, status=status)
    suggest_url = _help_center_url("portal-help-suggest")
    form = TicketForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        colleagues=colleagues,
        suggest_url=suggest_url,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_open(
                requester=person,
                actor=request.user,
                subject=data["subject"],
                description=data["description"],
                source=Ticket.Source.PORTAL,
                category=data.get("category"),
                priority=data["priority"],
                cc=data.get("cc", []),
                attachments=data["attachments"],
            )
        except ServiceError as error:
            _apply_error(form, error)
        else:
            messages.success(
                request,
                _("Thank you! We have your ticket %(reference)s and will answer as soon as we can.")
                % {"reference": ticket.reference},
            )
            return redirect(ticket.get_portal_url())
    context = {
        "form": form,
        "suggest_url": suggest_url,
        "help_url": _help_center_url("portal-help"),
        "files_lost": form.is_bound and bool(request.FILES),
    }
    return render(request, "service/portal/ticket_create.html", context, status=400 if form.is_bound else 200)


@customer_required
@require_safe
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    """The ticket and its public conversation, with the reply form, close/reopen and, once done, the rating."""
    return _render_ticket(request, number)


@customer_required
@require_POST
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _customer_ticket(request, number)
    form = ReplyForm(request.POST, request.FILES)
    message = ""
    if form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                body=form.cleaned_data["body"],
                author=request.user,
                author_person=_person(request),
                source=Ticket.Source.PORTAL,
                attachments=form.cleaned_data["attachments"],
            )
        except ServiceError as error:
            message = _field_error_or_message(form, error)
        else:
            messages.success(request, _("Your reply was sent."))
            return redirect(ticket.get_portal_url())
    return _render_ticket(request, number, reply_form=form, error=message, status=400)


_CUSTOMER_MOVES = {
    "close": (services.ticket_customer_close, gettext_lazy("The ticket is closed. Thank you for letting us know.")),
    "reopen": (
        services.ticket_customer_reopen,
        gettext_lazy("The ticket is open again. Tell us what is still wrong in a reply."),
    ),
}


@customer_required
@require_POST
def ticket_move(request: HttpRequest, number: int, action: str) -> HttpResponse:
    """The customer closes a settled ticket or reopens one whose problem is back."""
    ticket = _customer_ticket(request, number)
    move, done = _CUSTOMER_MOVES[action]
    try:
        move(ticket=ticket, actor=request.user)
    except ServiceError as error:
        return _render_ticket(request, number, error=" ".join(error.messages), status=400)
    messages.success(request, done)
    return redirect(ticket.get_portal_url())


@customer_required
@require_POST
def ticket_rate(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _customer_ticket(request, number)
    form = RatingForm(request.POST)
    message = ""
    if form.is_valid():
        try:
            services.ticket_rate(
                ticket=ticket,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except ServiceError as error:
            message = _field_error_or_message(form, error)
        else:
            messages.success(request, _("Thank you for your feedback!"))
            return redirect(ticket.get_portal_url())
    return _render_ticket(request, number, rate_form=form, error=message, status=400)


@customer_required
@require_safe
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A file on a ticket the customer may see (never one on an internal note)."""
    try:
        attachment = selectors.attachment_for_customer(user=request.user, pk=pk)
    except Attachment.DoesNotExist:
        raise Http404 from None
    return attachments.download_response(attachment)


# --- guests: people who wrote by e-mail follow their ticket through the link in our e-mails ------------------


def _guest_found(request: HttpRequest, token: str) -> Ticket | HttpResponse:
    try:
        return services.ticket_from_guest_token(token)
    except ServiceError as error:
        return render(request, "service/portal/guest_invalid.html", {"reason": " ".join(error.messages)}, status=404)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def guest_ticket(request: HttpRequest, token: str) -> HttpResponse:
    """The ticket a guest link names, its public conversation, and a reply form (the reply is the requester's)."""
    found = _guest_found(request, token)
    if isinstance(found, HttpResponse):
        return found
    form = ReplyForm(request.POST, request.FILES) if request.method == "POST" else ReplyForm()
    status, message = 200, ""
    if request.method == "POST":
        if form.is_valid():
            try:
                services.ticket_reply(
                    ticket=found,
                    body=form.cleaned_data["body"],
                    author=None,
                    author_person=found.requester,
                    source=Ticket.Source.PORTAL,
                    attachments=form.cleaned_data["attachments"],
                )
            except ServiceError as error:
                message = _field_error_or_message(form, error)
            else:
                messages.success(request, _("Your reply was sent."))
                return redirect("portal-ticket-guest", token=token)
        status = 400
    ticket = selectors.public_conversation(Ticket.objects.filter(pk=found.pk)).get()
    context = _ticket_context(
        ticket,
        viewer=ticket.requester,
        file_url=lambda attachment: reverse("portal-ticket-guest-attachment", args=[token, attachment.pk]),
    )
    context.update(
        {
            "reply_form": form,
            "reply_url": reverse("portal-ticket-guest", args=[token]),
            "error": message,
            "is_guest": True,
            "can_close": False,
            "can_reopen": False,
            "can_rate": False,
        }
    )
    return render(request, "service/portal/ticket.html", context, status=status)


@never_cache
@require_safe
def guest_attachment(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """A file of the guest's ticket only, and never one on an internal note."""
    found = _guest_found(request, token)
    if isinstance(found, HttpResponse):
        return found
    try:
        attachment = selectors.attachment_for_guest(ticket=found, pk=pk)
    except Attachment.DoesNotExist:
        raise Http404 from None
    return attachments.download_response(attachment)
