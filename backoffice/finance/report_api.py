"""The financial reports in the API, under /api/v1/finance/reports/: the same figures as the staff pages, with the
same rights (the ledger reports take the right to read entries, receivables the right to read invoices, payables the
right to read supplier bills)."""

from datetime import date
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.finance import reports, selectors
from backoffice.finance.models import Account, Invoice, JournalEntry, SupplierBill
from core.api.permissions import StaffModelPermissions
from core.parties.models import Organization

MONEY = {"max_digits": 18, "decimal_places": 2}


def _year_start(day: date) -> date:
    year = selectors.fiscal_year_on(day)
    return year.start if year else day.replace(month=1, day=1)


# --- what the reports are asked for ---------------------------------------------------------------------------


class PeriodQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(
        required=False, help_text=_("The first day (YYYY-MM-DD); the first day of the fiscal year if left out.")
    )
    date_to = serializers.DateField(required=False, help_text=_("The last day (YYYY-MM-DD); today if left out."))

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        data["date_to"] = data.get("date_to") or timezone.localdate()
        data["date_from"] = data.get("date_from") or _year_start(data["date_to"])
        if data["date_from"] > data["date_to"]:
            raise serializers.ValidationError({"date_to": _("The end date is before the start date.")})
        return data


class AsOfQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text=_("The day (YYYY-MM-DD); today if left out."))

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        data["date"] = data.get("date") or timezone.localdate()
        return data


# --- what they answer -----------------------------------------------------------------------------------------


class AccountAmountSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    account = serializers.CharField(source="account__code", help_text=_("The account number."))
    name = serializers.CharField(source="account__name")
    kind = serializers.ChoiceField(source="account__kind", choices=Account.Kind.choices)
    amount = serializers.DecimalField(**MONEY)


class ProfitAndLossSectionSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=[key for key, _label, _digits in reports.PROFIT_AND_LOSS_SECTIONS])
    label = serializers.CharField()
    rows = AccountAmountSerializer(many=True)
    total = serializers.DecimalField(**MONEY)


class ProfitAndLossSerializer(serializers.Serializer):
    """Income and expenses of the period by BAS class (3 net sales, 4 goods, 5–6 other external costs, 7 personnel,
    8 financial items). Amounts are their effect on the result: income positive, costs negative."""

    date_from = serializers.DateField()
    date_to = serializers.DateField()
    sections = ProfitAndLossSectionSerializer(many=True)
    operating_result = serializers.DecimalField(**MONEY, help_text=_("Sections 3 to 7."))
    result = serializers.DecimalField(**MONEY, help_text=_("Every section."))


class BalanceSheetSerializer(serializers.Serializer):
    """Balances on the day: assets as debit minus credit, equity and liabilities as credit minus debit."""

    date = serializers.DateField()
    assets = AccountAmountSerializer(many=True)
    equity = AccountAmountSerializer(many=True)
    liabilities = AccountAmountSerializer(many=True)
    total_assets = serializers.DecimalField(**MONEY)
    total_equity = serializers.DecimalField(**MONEY)
    unclosed_result = serializers.DecimalField(
        **MONEY, help_text=_("Every income minus every expense posted up to the day: the result not yet closed.")
    )
    total_liabilities = serializers.DecimalField(**MONEY)
    total_equity_and_liabilities = serializers.DecimalField(**MONEY)
    is_balanced = serializers.BooleanField()


class AgedRowSerializer(serializers.Serializer):
    organization = serializers.IntegerField(source="party_id")
    name = serializers.CharField(source="party_name")
    current = serializers.DecimalField(**MONEY, help_text=_("Not yet due (SEK)."))
    days_1_30 = serializers.DecimalField(**MONEY)
    days_31_60 = serializers.DecimalField(**MONEY)
    days_61_90 = serializers.DecimalField(**MONEY)
    days_over_90 = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


class AgedTotalsSerializer(serializers.Serializer):
    current = serializers.DecimalField(**MONEY)
    days_1_30 = serializers.DecimalField(**MONEY)
    days_31_60 = serializers.DecimalField(**MONEY)
    days_61_90 = serializers.DecimalField(**MONEY)
    days_over_90 = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


class AgedBalancesSerializer(serializers.Serializer):
    """What is due now on the documents dated on or before the day, in SEK, by days past due on the day."""

    date = serializers.DateField()
    rows = AgedRowSerializer(many=True)
    totals = AgedTotalsSerializer()


class VatAccountSerializer(serializers.Serializer):
    code = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)


class VatBoxSerializer(serializers.Serializer):
    box = serializers.CharField(help_text=_("The box number of Skatteverket's VAT return."))
    label = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    accounts = VatAccountSerializer(many=True)


class VatReturnSerializer(serializers.Serializer):
    """Boxes 05, 06, 07, 42, 10, 11, 12, 48 and 49 (VAT to pay: 10 + 11 + 12 − 48) of the period."""

    date_from = serializers.DateField()
    date_to = serializers.DateField()
    boxes = VatBoxSerializer(many=True)
    to_pay = serializers.DecimalField(**MONEY)


class StatementLineSerializer(serializers.Serializer):
    date = serializers.DateField(source="entry.date")
    entry_id = serializers.IntegerField()
    entry = serializers.CharField(source="entry.number")
    text = serializers.SerializerMethodField()
    debit = serializers.DecimalField(**MONEY)
    credit = serializers.DecimalField(**MONEY)
    balance = serializers.DecimalField(source="running_balance", **MONEY, help_text=_("The balance after the line."))

    def get_text(self, line) -> str:
        return line.description or line.entry.description


class CustomerStatementSerializer(serializers.Serializer):
    """The customer's lines on the receivables account (1510) in the period, with the balance before and after."""

    organization = serializers.IntegerField(source="organization.pk")
    name = serializers.CharField(source="organization.name")
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    opening_balance = serializers.DecimalField(**MONEY)
    debit = serializers.DecimalField(**MONEY)
    credit = serializers.DecimalField(**MONEY)
    closing_balance = serializers.DecimalField(**MONEY)
    lines = StatementLineSerializer(many=True)


# --- the views ------------------------------------------------------------------------------------------------


class _ReportView(APIView):
    permission_classes = [StaffModelPermissions]
    queryset = JournalEntry.objects.none()  # the right to read entries is the right to read the ledger reports

    def _period(self, request: Request) -> dict[str, date]:
        query = PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def _day(self, request: Request) -> date:
        query = AsOfQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data["date"]


@extend_schema(tags=["finance"])
class ProfitAndLossView(_ReportView):
    @extend_schema(
        summary="Profit and loss of a period",
        parameters=[PeriodQuerySerializer],
        responses={200: ProfitAndLossSerializer},
    )
    def get(self, request: Request) -> Response:
        report = reports.profit_and_loss(**self._period(request))
        return Response(ProfitAndLossSerializer(report).data)


@extend_schema(tags=["finance"])
class BalanceSheetView(_ReportView):
    @extend_schema(
        summary="Balance sheet on a day", parameters=[AsOfQuerySerializer], responses={200: BalanceSheetSerializer}
    )
    def get(self, request: Request) -> Response:
        return Response(BalanceSheetSerializer(reports.balance_sheet(day=self._day(request))).data)


@extend_schema(tags=["finance"])
class AgedReceivablesView(_ReportView):
    queryset = Invoice.objects.none()

    @extend_schema(
        summary="Aged receivables on a day", parameters=[AsOfQuerySerializer], responses={200: AgedBalancesSerializer}
    )
    def get(self, request: Request) -> Response:
        return Response(AgedBalancesSerializer(reports.aged_receivables(day=self._day(request))).data)


@extend_schema(tags=["finance"])
class AgedPayablesView(_ReportView):
    queryset = SupplierBill.objects.none()

    @extend_schema(
        summary="Aged payables on a day", parameters=[AsOfQuerySerializer], responses={200: AgedBalancesSerializer}
    )
    def get(self, request: Request) -> Response:
        return Response(AgedBalancesSerializer(reports.aged_payables(day=self._day(request))).data)


@extend_schema(tags=["finance"])
class VatReturnView(_ReportView):
    @extend_schema(
        summary="VAT return boxes of a period", parameters=[PeriodQuerySerializer], responses={200: VatReturnSerializer}
    )
    def get(self, request: Request) -> Response:
        return Response(VatReturnSerializer(reports.vat_return(**self._period(request))).data)


@extend_schema(tags=["finance"])
class CustomerStatementView(_ReportView):
    @extend_schema(
        summary="A customer's statement for a period",
        parameters=[
            PeriodQuerySerializer,
            OpenApiParameter("organization_id", int, OpenApiParameter.PATH, description="The customer."),
        ],
        responses={200: CustomerStatementSerializer},
    )
    def get(self, request: Request, organization_id: int) -> Response:
        period = self._period(request)
        organization = get_object_or_404(Organization, pk=organization_id)
        statement = reports.customer_statement(organization=organization, **period)
        return Response(CustomerStatementSerializer(statement).data)
