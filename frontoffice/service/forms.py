"""Forms of the staff's service pages."""

from django import forms
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.accounts.models import User
from core.lists import FilterForm
from core.parties.models import Person
from core.widgets import AutocompleteSelect
from frontoffice.service.models import Category, Priority, Queue, Ticket

VIEWS = [
    ("", _("All tickets")),
    ("mine", _("My open tickets")),
    ("unassigned", _("Unassigned in my queues")),
    ("breaching", _("Breaching soon")),
    ("waiting", _("Waiting on customer")),
    ("open", _("All open")),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service (attachments.check_uploads)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def _staff():
    return User.objects.filter(kind=User.Kind.STAFF, is_active=True).order_by("full_name", "email")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user: User) -> str:
        return user.get_full_name()


class TicketFilterForm(FilterForm):
    view = forms.ChoiceField(label=_("View"), choices=VIEWS, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *Ticket.Status.choices], required=False)
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.all(), required=False, empty_label=_("All"))
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=[("", _("All")), *Priority.choices], coerce=int, required=False, empty_value=None
    )
    assignee = forms.ChoiceField(
        label=_("Assignee"), choices=[("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))], required=False
    )

    def __init__(self, *args, queues: list[tuple[int, str]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The filter bar lists the queues as plain choices: one small query, not a count and a server-side cursor
        # (none when the caller has read them: `queues` as (pk, name) by name).
        if queues is None:
            queues = list(Queue.objects.order_by("name").values_list("pk", "name"))
        self.fields["queue"].choices = [("", _("All")), *queues]


class TicketCreateForm(forms.Form):
    """An agent logs a ticket for a customer (a phone call, a letter, a walk-in)."""

    requester = forms.ModelChoiceField(
        label=_("Requester"),
        queryset=Person.objects.filter(is_active=True),
        widget=AutocompleteSelect("service:person-lookup"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.filter(is_active=True), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    source = forms.ChoiceField(
        label=_("Received by"),
        choices=[(Ticket.Source.PHONE, Ticket.Source.PHONE.label), (Ticket.Source.EMAIL, Ticket.Source.EMAIL.label)],
    )
    attachments = MultipleFileField(label=_("Files"))


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))
    internal = forms.BooleanField(label=_("Internal note (the customer does not see it)"), required=False)
    new_status = forms.ChoiceField(
        label=_("Then set the status to"),
        choices=[
            ("", _("(keep)")),
            *[(value, label) for value, label in Ticket.Status.choices if value != Ticket.Status.NEW],
        ],
        required=False,
    )
    attachments = MultipleFileField(label=_("Files"))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)


class TicketEditForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.filter(is_active=True))
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False
    )
    assignee = StaffChoiceField(label=_("Assignee"), queryset=_staff(), required=False, empty_label=_("Nobody"))
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]


class MergeForm(forms.Form):
    target = forms.CharField(
        label=_("Merge into ticket"), max_length=20, help_text=_("The number of the ticket that stays, e.g. T-1042.")
    )

    def clean_target(self) -> int:
        value = self.cleaned_data["target"].strip().upper().removeprefix("T-").removeprefix("#")
        if not value.isdigit():
            raise forms.ValidationError(_("Enter a ticket number such as T-1042."))
        return int(value)


class TimeForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    billable = forms.BooleanField(label=_("Billable"), required=False)
    worked_on = forms.DateField(
        label=_("Date"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class BulkForm(forms.Form):
    tickets = forms.ModelMultipleChoiceField(queryset=Ticket.objects.all(), to_field_name="number")
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)
    status = forms.ChoiceField(
        label=_("Set status"), choices=[("", _("(keep)")), *Ticket.Status.choices], required=False
    )

    def __init__(self, *args, queryset=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if queryset is not None:
            self.fields["tickets"].queryset = queryset
        self.fields["assignee"].choices = [
            ("", _("(keep)")),
            ("none", _("Nobody")),
            *[(str(pk), full_name or email) for pk, full_name, email in _staff_names()],
        ]


def _staff_names() -> list[tuple[int, str, str]]:
    """_staff() as (pk, full_name, email) in its order, from a plain statement (the list page draws the bulk form
    on every request; the ORM spent more building the query than PostgreSQL answering it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.id, u.full_name, u.email FROM {User._meta.db_table} u "
            "WHERE u.is_active AND u.kind = %s ORDER BY u.full_name, u.email",
            [User.Kind.STAFF],
        )
        return cursor.fetchall()


class ReportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    group = forms.ChoiceField(label=_("Per"), choices=[("queue", _("Queue")), ("agent", _("Agent"))], initial="queue")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned
