"""The ledger's reference data: a simplified Swedish BAS chart, the four journals and the settings row.

Created by a migration and ensured after every migrate or flush; accounts and journals an accountant has
edited or added are left alone.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

# What a small Swedish trading company books every month (BAS 2026, simplified).
CHART = [
    ("1220", "Inventarier och verktyg", "asset"),
    ("1460", "Lager av handelsvaror", "asset"),
    ("1510", "Kundfordringar", "asset"),
    ("1630", "Skattekonto", "asset"),
    ("1910", "Kassa", "asset"),
    ("1930", "Företagskonto", "asset"),
    ("2081", "Aktiekapital", "equity"),
    ("2091", "Balanserad vinst eller förlust", "equity"),
    ("2099", "Årets resultat", "equity"),
    ("2420", "Förskott från kunder", "liability"),
    ("2440", "Leverantörsskulder", "liability"),
    ("2610", "Utgående moms 25 %", "liability"),
    ("2620", "Utgående moms 12 %", "liability"),
    ("2630", "Utgående moms 6 %", "liability"),
    ("2640", "Ingående moms", "asset"),
    ("2650", "Redovisningskonto för moms", "liability"),
    ("2710", "Personalskatt", "liability"),
    ("2731", "Avräkning lagstadgade sociala avgifter", "liability"),
    ("2890", "Övriga kortfristiga skulder", "liability"),
    ("3001", "Försäljning inom Sverige, 25 % moms", "income"),
    ("3002", "Försäljning inom Sverige, 12 % moms", "income"),
    ("3003", "Försäljning inom Sverige, 6 % moms", "income"),
    ("3004", "Försäljning inom Sverige, momsfri", "income"),
    ("3105", "Försäljning varor till land utanför EU", "income"),
    ("3108", "Försäljning varor till annat EU-land", "income"),
    ("3740", "Öres- och kronutjämning", "income"),
    ("3930", "Påminnelseavgifter", "income"),
    ("3960", "Valutakursvinster på fordringar och skulder av rörelsekaraktär", "income"),
    ("4010", "Inköp av handelsvaror", "expense"),
    ("4990", "Förändring av lager", "expense"),
    ("5010", "Lokalhyra", "expense"),
    ("5410", "Förbrukningsinventarier", "expense"),
    ("6110", "Kontorsmateriel", "expense"),
    ("6212", "Mobiltelefon", "expense"),
    ("6570", "Bankkostnader", "expense"),
    ("7010", "Löner till kollektivanställda", "expense"),
    ("7510", "Arbetsgivaravgifter", "expense"),
    ("7960", "Valutakursförluster på fordringar och skulder av rörelsekaraktär", "expense"),
    ("8313", "Ränteintäkter från kundfordringar", "income"),
    ("8410", "Räntekostnader för skulder till kreditinstitut", "expense"),
]
JOURNALS = [
    ("SALE", "Sales", "sales"),
    ("PURCH", "Purchases", "purchases"),
    ("BANK", "Bank", "bank"),
    ("GEN", "General", "general"),
    ("STOCK", "Stock valuation", "general"),
]


def ensure_reference(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    account = apps.get_model("finance", "Account")
    journal = apps.get_model("finance", "Journal")
    settings_model = apps.get_model("finance", "LedgerSettings")
    known = set(account.objects.using(using).values_list("code", flat=True))
    account.objects.using(using).bulk_create(
        account(code=code, name=name, kind=kind) for code, name, kind in CHART if code not in known
    )
    known = set(journal.objects.using(using).values_list("code", flat=True))
    journal.objects.using(using).bulk_create(
        journal(code=code, name=name, kind=kind) for code, name, kind in JOURNALS if code not in known
    )
    settings_model.objects.using(using).get_or_create(pk=1)


def ensure_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    ensure_reference(apps=apps, using=using)
