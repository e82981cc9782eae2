"""The ledger API: /api/v1/finance/ accounts, journal entries (drafted, posted, reversed) and the trial balance.

Reads come from the selectors, writes go through the services with the request's user as actor, so the API
keeps the ledger's rules and audit trail. Finance writes; Management reads; nobody else sees the books.
"""

import functools
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.finance import selectors, services
from backoffice.finance.models import ZERO, Account, Invoice, InvoiceLine, Journal, JournalEntry, JournalLine
from core.api.idempotency import idempotent
from core.api.permissions import ActionPermissions, StaffModelPermissions
from core.parties.models import Organization

if TYPE_CHECKING:
    pass

MONEY = {"max_digits": 16, "decimal_places": 2}


class EntryPermissions(ActionPermissions):
    """Model rights, where posting and reversing take finance.post_journalentry instead of the add right."""

    action_permissions = {
        "post_entry": ["finance.post_journalentry"],
        "reverse_entry": ["finance.post_journalentry"],
    }


# --- accounts ---------------------------------------------------------------------


class LedgerAccountSerializer(serializers.ModelSerializer):
    """An account of the chart with its balance over everything posted to date."""

    balance = serializers.DecimalField(
        **MONEY, read_only=True, help_text=_("Debit minus credit of every posted line, in SEK.")
    )

    class Meta:
        model = Account
        fields = ["id", "code", "name", "kind", "is_active", "balance"]


class AccountFilter(filters.FilterSet):
    q = filters.CharFilter(method="_search", help_text=_("The start of the account number, or part of its name."))
    kind = filters.ChoiceFilter(choices=Account.Kind.choices)

    class Meta:
        model = Account
        fields = ["q", "kind"]

    def filter_queryset(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        values = self.form.cleaned_data
        return selectors.account_list(search=values.get("q") or "", kind=values.get("kind") or "")

    def _search(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        return queryset  # filter_queryset hands the search to the selector


@extend_schema_view(
    list=extend_schema(summary="List the chart of accounts with balances"),
    retrieve=extend_schema(summary="Get an account with its balance"),
)
@extend_schema(tags=["finance"])
class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    """The chart of accounts (Swedish BAS). Accounts are edited in the admin."""

    serializer_class = LedgerAccountSerializer
    filterset_class = AccountFilter
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[Account]:
        return selectors.account_list()


# --- journal entries ---------------------------------------------------------------


class JournalLineSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.code", read_only=True, help_text=_("The account number."))
    account_name = serializers.CharField(source="account.name", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True, allow_null=True)

    class Meta:
        model = JournalLine
        fields = [
            "id",
            "account",
            "account_name",
            "debit",
            "credit",
            "partner",
            "partner_name",
            "description",
            "currency",
            "amount_currency",
        ]
        read_only_fields = fields


class JournalEntrySummarySerializer(serializers.ModelSerializer):
    """An entry in a list: which journal, when, what, how much, and whether it is in the books."""

    journal = serializers.CharField(source="journal.code", read_only=True, help_text=_("The journal's code."))
    total = serializers.DecimalField(**MONEY, read_only=True, help_text=_("The sum of the debits (= the credits)."))
    reversed_by = serializers.IntegerField(
        source="reversed_by_pk", read_only=True, allow_null=True, help_text=_("The entry that reverses it, if any.")
    )

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "number",
            "journal",
            "date",
            "description",
            "reference",
            "state",
            "total",
            "reversal_of",
            "reversed_by",
            "created_at",
            "posted_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "number": {"help_text": _("Given when posted: <journal>-<year>-<number>, without gaps.")},
            "reversal_of": {"help_text": _("The entry this one reverses, if it is a reversal.")},
        }


class JournalEntrySerializer(JournalEntrySummarySerializer):
    """A whole entry with its lines and, once posted, its place in the journal's hash chain."""

    lines = JournalLineSerializer(many=True, read_only=True)

    class Meta(JournalEntrySummarySerializer.Meta):
        fields = [*JournalEntrySummarySerializer.Meta.fields, "hash", "previous_hash", "chain_position", "lines"]
        read_only_fields = fields
        extra_kwargs = {
            **JournalEntrySummarySerializer.Meta.extra_kwargs,
            "hash": {"help_text": _("sha256 over the entry and the hash before it in its journal.")},
        }


class JournalLineInputSerializer(serializers.Serializer):
    """One line of a new entry: an account and a debit or a credit (positive, in SEK)."""

    account = serializers.CharField(max_length=10, help_text=_("The account number, e.g. 1930."))
    debit = serializers.DecimalField(**MONEY, required=False, default=ZERO, help_text=_("0 when left out."))
    credit = serializers.DecimalField(**MONEY, required=False, default=ZERO, help_text=_("0 when left out."))
    partner = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("The organization (customer or supplier) it concerns, if any.")
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class JournalEntryCreateSerializer(serializers.Serializer):
    """A new draft entry; the service checks that it balances and that its accounts are open."""

    journal = serializers.SlugRelatedField(
        slug_field="code", queryset=Journal.objects.all(), help_text=_("The journal's code: GEN, BANK, SALE, PURCH.")
    )
    date = serializers.DateField()
    description = serializers.CharField(max_length=200)
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    lines = JournalLineInputSerializer(many=True, max_length=200)

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[services.Line]:
        """Accounts and partners of every line in two queries; an unknown one is named by its line's index."""
        accounts = Account.objects.in_bulk([line["account"] for line in lines], field_name="code")
        partner_ids = {line["partner"] for line in lines if line.get("partner") is not None}
        partners = Organization.objects.in_bulk(partner_ids) if partner_ids else {}
        errors: dict[int, dict[str, list[str]]] = {}
        for index, line in enumerate(lines):
            if line["account"] not in accounts:
                errors.setdefault(index, {})["account"] = [_("No account has this number.")]
            if line.get("partner") is not None and line["partner"] not in partners:
                errors.setdefault(index, {})["partner"] = [_("No organization has this id.")]
        if errors:
            raise serializers.ValidationError(errors)
        return [
            services.Line(
                account=accounts[line["account"]],
                debit=line["debit"],
                credit=line["credit"],
                partner=partners.get(line.get("partner")),
                description=line["description"],
            )
            for line in lines
        ]


class JournalEntryReverseSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, allow_null=True, help_text=_("The reversal's date; today if empty."))
    reason = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default="", help_text=_("Said in the reversal's text.")
    )


class JournalEntryFilter(filters.FilterSet):
    """The entry list's filters; a value the filter cannot read answers 400 naming it."""

    q = filters.CharFilter(method="_search", help_text=_("Part of the number or description, or the reference."))
    journal = filters.ModelChoiceFilter(
        queryset=Journal.objects.all(), to_field_name="code", help_text=_("A journal's code.")
    )
    state = filters.ChoiceFilter(choices=JournalEntry.State.choices)
    date_from = filters.DateFilter(method="_search", help_text=_("Entries dated on or after this day."))
    date_to = filters.DateFilter(method="_search", help_text=_("Entries dated on or before this day."))

    class Meta:
        model = JournalEntry
        fields = ["q", "journal", "state", "date_from", "date_to"]

    def filter_queryset(self, queryset: QuerySet[JournalEntry]) -> QuerySet[JournalEntry]:
        # The selector builds the filtered list, so the API and the page agree.
        values = self.form.cleaned_data
        return selectors.entry_list_in_period(
            search=values.get("q") or "",
            journal=values.get("journal"),
            state=values.get("state") or "",
            date_from=values.get("date_from"),
            date_to=values.get("date_to"),
        )

    def _search(self, queryset: QuerySet[JournalEntry], name: str, value: Any) -> QuerySet[JournalEntry]:
        return queryset  # filter_queryset hands every value to the selector


LINE_ERRORS = (
    "Lines are checked before anything is saved: an unknown account or partner is named by the line's index "
    'from 0, as in `{"lines": {"1": {"account": ["..."]}}}`; a line the ledger refuses (both sides, no side, '
    'more than two decimals, a closed account) or debits that differ from credits answer `{"lines": ["..."]}`.'
)


@extend_schema_view(
    list=extend_schema(summary="List journal entries"),
    retrieve=extend_schema(summary="Get a journal entry with its lines"),
)
@extend_schema(tags=["finance"])
class JournalEntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The ledger's entries: drafted, then posted (numbered, chained, never changed) or reversed by a new entry."""

    serializer_class = JournalEntrySerializer
    permission_classes = [EntryPermissions]
    filterset_class = JournalEntryFilter
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[JournalEntry]:
        return selectors.entry_list_in_period()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return JournalEntrySummarySerializer if self.action == "list" else JournalEntrySerializer

    def get_object(self) -> JournalEntry:
        try:
            entry = self._detail(int(self.kwargs[self.lookup_field]))
        except (ValueError, JournalEntry.DoesNotExist):
            raise Http404 from None
        self.check_object_permissions(self.request, entry)
        return entry

    def _detail(self, pk: int) -> JournalEntry:
        return selectors.entry_list_in_period().prefetch_related("lines__account", "lines__partner").get(pk=pk)

    def _answer(self, entry: JournalEntry, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            JournalEntrySerializer(self._detail(entry.pk), context=self.get_serializer_context()).data, code
        )

    @extend_schema(
        summary="Draft a journal entry with its lines",
        description=f"Nothing is in the books until the draft is posted. {LINE_ERRORS}",
        request=JournalEntryCreateSerializer,
        responses={201: JournalEntrySerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = JournalEntryCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.entry_create(actor=request.user, **body.validated_data)
        return self._answer(entry, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Post a draft entry",
        description=(
            "Gives the entry the next number of its journal and year and chains its hash; afterwards it never "
            "changes. Refused (400, naming `date`) on or before the lock date or outside an open fiscal year. "
            "Takes the right to post journal entries."
        ),
        request=None,
        responses={200: JournalEntrySerializer},
    )
    @action(detail=True, methods=["post"], url_path="post", url_name="post")
    def post_entry(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.entry_post(actor=request.user, entry=self.get_object()))

    @extend_schema(
        summary="Reverse a posted entry",
        description=(
            "Posts a new entry with every line turned around and answers with it. An entry is reversed once; "
            "a reversal is not reversed. Takes the right to post journal entries."
        ),
        request=JournalEntryReverseSerializer,
        responses={201: JournalEntrySerializer},
    )
    @action(detail=True, methods=["post"], url_path="reverse", url_name="reverse")
    def reverse_entry(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        body = JournalEntryReverseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reversal = services.entry_reverse(
            actor=request.user, entry=entry, date=body.validated_data.get("date"), reason=body.validated_data["reason"]
        )
        return self._answer(reversal, status.HTTP_201_CREATED)


# --- reports -----------------------------------------------------------------------


class TrialBalancePeriodSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text=_("The first day; from the beginning if left out."))
    date_to = serializers.DateField(required=False, help_text=_("The last day; up to now if left out."))

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise serializers.ValidationError({"date_to": _("The end date is before the start date.")})
        return data


class TrialBalanceRowSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    account = serializers.CharField(source="account__code", help_text=_("The account number."))
    name = serializers.CharField(source="account__name")
    kind = serializers.ChoiceField(source="account__kind", choices=Account.Kind.choices)
    debit = serializers.DecimalField(**MONEY)
    credit = serializers.DecimalField(**MONEY)
    balance = serializers.DecimalField(**MONEY, help_text=_("Debit minus credit."))
    lines = serializers.IntegerField(help_text=_("How many posted lines make up the figures."))


class TrialBalanceSerializer(serializers.Serializer):
    """Debit, credit and balance per account over the entries posted in the period, and their totals."""

    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    rows = TrialBalanceRowSerializer(many=True)
    debit = serializers.DecimalField(**MONEY, help_text=_("The total of the debits."))
    credit = serializers.DecimalField(**MONEY, help_text=_("The total of the credits: always equal to the debits."))
    balance = serializers.DecimalField(**MONEY, help_text=_("Debits minus credits: 0."))


@extend_schema(tags=["finance"])
class TrialBalanceView(APIView):
    """The trial balance, computed in one aggregate query."""

    permission_classes = [StaffModelPermissions]
    queryset = JournalEntry.objects.none()  # the right to read entries is the right to read the report

    @extend_schema(
        summary="The trial balance of a period",
        parameters=[TrialBalancePeriodSerializer],
        responses={200: TrialBalanceSerializer},
    )
    def get(self, request: Request) -> Response:
        period = TrialBalancePeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        report = selectors.trial_balance_report(**period.validated_data)
        return Response(TrialBalanceSerializer(report).data)


# --- invoices ----------------------------------------------------------------------


class InvoicePermissions(ActionPermissions):
    """Reading takes the right to see invoices; issuing and crediting take finance.issue_invoice."""

    action_permissions = {
        "issue": ["finance.issue_invoice"],
        "credit": ["finance.issue_invoice"],
        "send": ["finance.issue_invoice"],
    }


class InvoiceLineSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.code", read_only=True, help_text=_("The sales account."))

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "position",
            "sku",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "tax_rate",
            "net_amount",
            "tax_amount",
            "account",
        ]
        read_only_fields = fields


class InvoiceSummarySerializer(serializers.ModelSerializer):
    """An invoice or credit note in a list: whose, which order, when, how much, and how far it has come."""

    customer = serializers.IntegerField(source="organization_id", read_only=True, help_text=_("The organization."))
    currency = serializers.CharField(source="currency_id", read_only=True)
    amount_due = serializers.DecimalField(**MONEY, read_only=True, help_text=_("What the customer still owes."))

    class Meta:
        model = Invoice
        fields = [
            "id",
            "kind",
            "state",
            "number",
            "ocr",
            "customer",
            "customer_name",
            "order_number",
            "customer_reference",
            "currency",
            "exchange_rate",
            "invoice_date",
            "due_date",
            "subtotal",
            "tax_total",
            "total",
            "amount_paid",
            "amount_credited",
            "amount_due",
            "credited_invoice",
            "issued_at",
        ]
        read_only_fields = fields


class InvoiceSerializer(InvoiceSummarySerializer):
    """A whole invoice with its lines, its journal entry and the credit notes that credit it."""

    lines = InvoiceLineSerializer(many=True, read_only=True)
    credit_notes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(InvoiceSummarySerializer.Meta):
        fields = [
            *InvoiceSummarySerializer.Meta.fields,
            "customer_vat_number",
            "billing_address",
            "payment_terms_days",
            "tax_rounding",
            "entry",
            "reason",
            "credit_notes",
            "lines",
        ]
        read_only_fields = fields


@functools.cache
def _invoice_representation() -> InvoiceSerializer:
    """One InvoiceSerializer for answers, its fields built once: a ModelSerializer builds them from the model for
    every instance, which cost a fifth of an issue. Its fields take nothing from the request."""
    return InvoiceSerializer()


class InvoiceIssueSerializer(serializers.Serializer):
    invoice_date = serializers.DateField(
        required=False, allow_null=True, help_text=_("The invoice's date; today if left out.")
    )


class InvoiceCreditSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text=_("Why it is credited; said on the credit note."))


class InvoiceFilter(filters.FilterSet):
    """The invoice list's filters; a value the filter cannot read answers 400 naming it."""

    q = filters.CharFilter(method="_search", help_text=_("Part of the number or customer, the OCR or order number."))
    customer = filters.NumberFilter(method="_search", help_text=_("The customer's organization id."))
    order = filters.CharFilter(field_name="order_number", help_text=_("The sales order's number."))
    state = filters.ChoiceFilter(choices=Invoice.State.choices)
    kind = filters.ChoiceFilter(choices=Invoice.Kind.choices)

    class Meta:
        model = Invoice
        fields = ["q", "customer", "order", "state", "kind"]

    def filter_queryset(self, queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
        values = self.form.cleaned_data
        customer = values.get("customer")
        invoices = selectors.invoice_list(
            search=values.get("q") or "",
            state=values.get("state") or "",
            kind=values.get("kind") or "",
            organization_id=int(customer) if customer is not None else None,
        )
        if values.get("order"):
            invoices = invoices.filter(order_number__iexact=values["order"])
        return invoices

    def _search(self, queryset: QuerySet[Invoice], name: str, value: Any) -> QuerySet[Invoice]:
        return queryset  # filter_queryset hands every value to the selector


IDEMPOTENCY = (
    "Send an `Idempotency-Key` header to make a retry safe: the same key and body answer the first response "
    "again (header `Idempotent-Replayed: true`) without doing anything; the same key with another body answers 422."
)


@extend_schema_view(
    list=extend_schema(summary="List invoices and credit notes"),
    retrieve=extend_schema(summary="Get an invoice or credit note with its lines"),
)
@extend_schema(tags=["finance"])
class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customer invoices and credit notes. Sales orders create them; here they are read, issued and credited."""

    serializer_class = InvoiceSerializer
    permission_classes = [InvoicePermissions]
    filterset_class = InvoiceFilter
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[Invoice]:
        return selectors.invoice_list()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return InvoiceSummarySerializer if self.action == "list" else InvoiceSerializer

    def get_object(self) -> Invoice:
        try:
            pk = int(self.kwargs[self.lookup_field])
            # An action reads the invoice again under its lock; only the answer needs the lines.
            invoice = selectors.invoice_detail(pk=pk) if self.action == "retrieve" else Invoice.objects.get(pk=pk)
        except (ValueError, Invoice.DoesNotExist):
            raise Http404 from None
        self.check_object_permissions(self.request, invoice)
        return invoice

    def _answer(self, invoice: Invoice, code: int = status.HTTP_200_OK) -> Response:
        """The invoice as the detail shows it, read again."""
        invoice = selectors.invoice_detail(pk=invoice.pk)
        return Response(InvoiceSerializer(invoice, context=self.get_serializer_context()).data, code)

    def _answer_issued(self, invoice: Invoice) -> Response:
        """The same answer for an invoice just issued, from what issuing read and wrote: it left the lines on the
        invoice, and a draft has no credit notes (only an issued invoice is credited)."""
        invoice._prefetched_objects_cache.setdefault("credit_notes", Invoice.objects.none())
        return Response(_invoice_representation().to_representation(invoice))

    @extend_schema(
        summary="Issue a draft invoice",
        description=(
            "Gives the draft its number and OCR reference, books it in the sales journal and e-mails it to the "
            f"customer; afterwards it never changes. Takes the right to issue invoices. {IDEMPOTENCY}"
        ),
        request=InvoiceIssueSerializer,
        responses={200: InvoiceSerializer},
    )
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str | None = None) -> Response:
        try:
            # Issuing reads the invoice under its lock; it is not read before (no object rights to check).
            invoice = Invoice(pk=int(self.kwargs[self.lookup_field]))
        except ValueError:
            raise Http404 from None
        body = InvoiceIssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)

        def work() -> Response:
            try:
                issued = services.invoice_issue(
                    actor=request.user, invoice=invoice, invoice_date=body.validated_data.get("invoice_date")
                )
            except Invoice.DoesNotExist:
                raise Http404 from None
            return self._answer_issued(issued)

        return idempotent(request, work)

    @extend_schema(
        summary="Credit an issued invoice in full",
        description=(
            "Issues and books a credit note with the invoice's lines and answers with it (201). An invoice is "
            f"credited once. Takes the right to issue invoices. {IDEMPOTENCY}"
        ),
        request=InvoiceCreditSerializer,
        responses={201: InvoiceSerializer},
    )
    @action(detail=True, methods=["post"])
    def credit(self, request: Request, pk: str | None = None) -> Response:
        invoice = self.get_object()
        body = InvoiceCreditSerializer(data=request.data)
        body.is_valid(raise_exception=True)

        def work() -> Response:
            note = services.invoice_credit(actor=request.user, invoice=invoice, reason=body.validated_data["reason"])
            return self._answer(note, status.HTTP_201_CREATED)

        return idempotent(request, work)

    @extend_schema(
        summary="E-mail an issued invoice (again)",
        description="Sends the invoice or credit note with its PDF to the customer's e-mail address after the "
        "request; 400 when it is a draft or the customer has no address. Takes the right to issue invoices.",
        request=None,
        responses={202: InvoiceSerializer},
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        invoice = services.invoice_send(actor=request.user, invoice=self.get_object())
        return self._answer(invoice, status.HTTP_202_ACCEPTED)
