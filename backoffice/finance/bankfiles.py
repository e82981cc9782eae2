"""Reading bank statement files: a CSV export or an ISO 20022 camt.053 statement, into plain transactions.

Pure functions, no database: the import service stores what they return. A file with any unreadable row is
refused whole, with the row numbers, so that a half-imported statement can never be booked.
"""

import contextlib
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from defusedxml import DefusedXmlException, ElementTree
from django.utils.translation import gettext as _

MAX_LINES = 20_000
MAX_ERRORS_SHOWN = 10


class BankFileError(ValueError):
    """The file cannot be read; `errors` says where and why (shown to the user)."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Transaction:
    date: date
    amount: Decimal  # negative: money out
    currency: str
    reference: str = ""
    counterparty: str = ""
    bank_reference: str = ""


@dataclass(frozen=True)
class Statement:
    format: str  # "csv" or "camt053"
    transactions: list[Transaction]
    account_iban: str = ""
    statement_date: date | None = None


def read(content: bytes, *, default_currency: str = "SEK") -> Statement:
    """Read a bank file, telling CSV from camt.053 by its content (not by its name)."""
    if content.lstrip()[:5] in {b"<?xml", b"<Docu"} or content.lstrip().startswith(b"<"):
        return read_camt053(content)
    return read_csv(content, default_currency=default_currency)


# --- CSV ---------------------------------------------------------------------------------------------------------

# What Swedish and international banks call the columns (compared in lower case, without spaces).
COLUMNS = {
    "date": {"date", "bookingdate", "bokföringsdag", "bokforingsdag", "datum", "transaktionsdag", "valutadag"},
    "amount": {"amount", "belopp", "summa"},
    "currency": {"currency", "valuta"},
    "reference": {"reference", "referens", "ocr", "meddelande", "message", "text", "beskrivning", "description"},
    "counterparty": {"counterparty", "name", "namn", "avsändare", "avsandare", "motpart", "betalare", "payer"},
    "bank_reference": {"bankreference", "id", "transactionid", "verifikationsnummer", "löpnummer", "lopnummer"},
}
REQUIRED = ("date", "amount")


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BankFileError([_("The file is not text (UTF-8 or Windows-1252).")])


def parse_amount(text: str) -> Decimal:
    """An amount as banks write it: `1 234,50`, `-1234.50`, `1.234,50`, `1,234.50`."""
    value = re.sub(r"[\s\u00a0']", "", text or "")
    if value.count(",") and value.count("."):
        # The last separator is the decimal one; the other groups thousands.
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    else:
        value = value.replace(",", ".")
    amount = Decimal(value)
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise InvalidOperation(text)
    return amount.quantize(Decimal("0.01"))


def parse_date(text: str) -> date:
    value = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%Y%m%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def read_csv(content: bytes, *, default_currency: str = "SEK") -> Statement:
    text = _decode(content)
    if not text.strip():
        raise BankFileError([_("The file is empty.")])
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    header = [re.sub(r"\s+", "", cell).lower() for cell in next(rows, [])]
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        for field, aliases in COLUMNS.items():
            if name in aliases and field not in columns:
                columns[field] = index
    missing = [field for field in REQUIRED if field not in columns]
    if missing:
        raise BankFileError(
            [
                _("The first row must name the columns; no column for %(columns)s was found.")
                % {"columns": ", ".join(missing)}
            ]
        )

    def cell(row: list[str], field: str) -> str:
        index = columns.get(field)
        return row[index].strip() if index is not None and index < len(row) else ""

    transactions, errors = [], []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(transactions) >= MAX_LINES:
            raise BankFileError([_("A file may hold at most %(count)s transactions.") % {"count": MAX_LINES}])
        try:
            day = parse_date(cell(row, "date"))
        except ValueError:
            errors.append(_("Row %(row)s: %(value)r is not a date.") % {"row": number, "value": cell(row, "date")})
            continue
        try:
            amount = parse_amount(cell(row, "amount"))
        except (InvalidOperation, ValueError):
            errors.append(_("Row %(row)s: %(value)r is not an amount.") % {"row": number, "value": cell(row, "amount")})
            continue
        if not amount:
            continue  # a zero line (a balance row) moves no money
        currency = (cell(row, "currency") or default_currency).upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            errors.append(_("Row %(row)s: %(value)r is not a currency code.") % {"row": number, "value": currency})
            continue
        transactions.append(
            Transaction(
                date=day,
                amount=amount,
                currency=currency,
                reference=cell(row, "reference")[:140],
                counterparty=cell(row, "counterparty")[:200],
                bank_reference=cell(row, "bank_reference")[:60],
            )
        )
    if errors:
        raise BankFileError(errors[:MAX_ERRORS_SHOWN] + ([_("…and more.")] if len(errors) > MAX_ERRORS_SHOWN else []))
    if not transactions:
        raise BankFileError([_("The file holds no transactions.")])
    return Statement(format="csv", transactions=transactions)


# --- camt.053 --------------------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element, *path: str):
    """The first descendant along `path` of local names, whatever the namespace version (001.02 … 001.13)."""
    current = [element]
    for name in path:
        found = []
        for node in current:
            found.extend(child for child in node if _local(child.tag) == name)
        if not found:
            return None
        current = found
    return current[0]


def _text(element, *path: str) -> str:
    node = _find(element, *path) if path else element
    return (node.text or "").strip() if node is not None else ""


def _date(element, *path: str) -> date | None:
    node = _find(element, *path)
    if node is None:
        return None
    value = _text(node, "Dt") or _text(node, "DtTm")[:10]
    return parse_date(value) if value else None


def read_camt053(content: bytes) -> Statement:
    try:
        root = ElementTree.fromstring(content)
    except (ElementTree.ParseError, DefusedXmlException) as error:  # broken XML, or entities/DTDs refused
        raise BankFileError([_("The file is not a readable XML document (%(error)s).") % {"error": error}]) from None
    if _local(root.tag) != "Document" or _find(root, "BkToCstmrStmt") is None:
        raise BankFileError([_("The XML file is not an ISO 20022 camt.053 bank statement.")])
    transactions, errors = [], []
    iban, statement_date = "", None
    for statement in (node for node in _find(root, "BkToCstmrStmt") if _local(node.tag) == "Stmt"):
        iban = iban or _text(statement, "Acct", "Id", "IBAN") or _text(statement, "Acct", "Id", "Othr", "Id")
        if statement_date is None and _text(statement, "CreDtTm"):
            with contextlib.suppress(ValueError):
                statement_date = parse_date(_text(statement, "CreDtTm")[:10])
        for number, entry in enumerate((node for node in statement if _local(node.tag) == "Ntry"), start=1):
            try:
                transactions.extend(_entry_transactions(entry))
            except (ValueError, InvalidOperation):
                errors.append(_("Entry %(number)s: its amount or date cannot be read.") % {"number": number})
            if len(transactions) > MAX_LINES:
                raise BankFileError([_("A file may hold at most %(count)s transactions.") % {"count": MAX_LINES}])
    if errors:
        raise BankFileError(errors[:MAX_ERRORS_SHOWN])
    if not transactions:
        raise BankFileError([_("The statement holds no transactions.")])
    return Statement(format="camt053", transactions=transactions, account_iban=iban, statement_date=statement_date)


def _entry_transactions(entry) -> list[Transaction]:
    if _text(entry, "Sts") in {"PDNG", "INFO"} or _text(entry, "Sts", "Cd") in {"PDNG", "INFO"}:
        return []  # pending or informational: not booked by the bank yet
    sign = -1 if _text(entry, "CdtDbtInd") == "DBIT" else 1
    amount_node = _find(entry, "Amt")
    day = _date(entry, "BookgDt") or _date(entry, "ValDt")
    if amount_node is None or day is None:
        raise ValueError("no amount or date")
    currency = (amount_node.get("Ccy") or "").upper()
    entry_details = _find(entry, "NtryDtls")
    details = [] if entry_details is None else [node for node in entry_details if _local(node.tag) == "TxDtls"]
    entry_reference = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    if len(details) <= 1:
        detail = details[0] if details else None
        return [
            Transaction(
                date=day,
                amount=sign * parse_amount(amount_node.text or ""),
                currency=currency,
                reference=_reference(detail, entry),
                counterparty=_counterparty(detail, sign),
                bank_reference=entry_reference[:60],
            )
        ]
    # A batch (several payments booked as one entry): one transaction per payment.
    found = []
    for position, detail in enumerate(details, start=1):
        node = _find(detail, "AmtDtls", "TxAmt", "Amt")
        node = _find(detail, "Amt") if node is None else node
        if node is None:
            raise ValueError("batch detail without amount")
        detail_sign = -1 if (_text(detail, "CdtDbtInd") or _text(entry, "CdtDbtInd")) == "DBIT" else 1
        found.append(
            Transaction(
                date=day,
                amount=detail_sign * parse_amount(node.text or ""),
                currency=(node.get("Ccy") or currency).upper(),
                reference=_reference(detail, entry),
                counterparty=_counterparty(detail, detail_sign),
                bank_reference=(_text(detail, "Refs", "AcctSvcrRef") or f"{entry_reference}/{position}")[:60],
            )
        )
    return found


def _reference(detail, entry) -> str:
    if detail is not None:
        structured = _text(detail, "RmtInf", "Strd", "CdtrRefInf", "Ref")
        if structured:
            return structured[:140]
        unstructured = _text(detail, "RmtInf", "Ustrd")
        if unstructured:
            return unstructured[:140]
        end_to_end = _text(detail, "Refs", "EndToEndId")
        if end_to_end and end_to_end != "NOTPROVIDED":
            return end_to_end[:140]
    return _text(entry, "AddtlNtryInf")[:140]


def _counterparty(detail, sign: int) -> str:
    if detail is None:
        return ""
    party = "Dbtr" if sign > 0 else "Cdtr"
    return (_text(detail, "RltdPties", party, "Nm") or _text(detail, "RltdPties", party, "Pty", "Nm"))[:200]
