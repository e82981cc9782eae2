"""Demo data: an admin, one user per department, customer portal users, and a believable company.

Idempotent: records are looked up by natural key (e-mail, org number, SKU)
before they are created, so running it again changes nothing.
"""

import random
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from core import demo
from core.accounts.models import User
from core.catalog.models import Currency, Product, TaxRate, Unit
from core.catalog.services import product_create
from core.parties.models import Address, Organization, Person
from core.parties.services import address_save, organization_create, person_create

DEMO_PASSWORD = "kontor-demo-2026"

STAFF = [
    ("admin@kontor.example", "Astrid Admin", [], True),
    ("support@kontor.example", "Sara Lindqvist", ["Customer Service"], False),
    ("sales@kontor.example", "Johan Berg", ["Sales"], False),
    ("marketing@kontor.example", "Maja Ek", ["Marketing"], False),
    ("hr@kontor.example", "Karin Holm", ["HR"], False),
    ("finance@kontor.example", "Lars Nyström", ["Finance"], False),
    ("it@kontor.example", "Ali Hassan", ["IT"], False),
    ("logistics@kontor.example", "Nils Forsberg", ["Logistics"], False),
    ("legal@kontor.example", "Eva Sjöberg", ["Legal"], False),
    ("management@kontor.example", "Ingrid Wallin", ["Management"], False),
]

CUSTOMERS = [
    ("Nordic Outdoor AB", "556123-4567", "anna@nordicoutdoor.example", "Anna", "Svensson", "Inköpschef"),
    ("Baltic Foods AB", "556234-5678", "erik@balticfoods.example", "Erik", "Johansson", "VD"),
]

CITIES = [
    ("Stockholm", "111 22"),
    ("Göteborg", "411 03"),
    ("Malmö", "211 20"),
    ("Uppsala", "753 20"),
    ("Västerås", "722 11"),
    ("Örebro", "702 10"),
    ("Linköping", "582 24"),
    ("Umeå", "903 26"),
]
STREETS = ["Storgatan", "Kungsgatan", "Drottninggatan", "Sveavägen", "Industrivägen", "Hamngatan", "Skolgatan"]
PREFIXES = ["Nord", "Väst", "Fjäll", "Sjö", "Berg", "Skog", "Ljus", "Kust", "Äng", "Sol", "Is", "Järn"]
SUFFIXES = ["Bygg", "Data", "Logistik", "Konsult", "Handel", "Design", "Teknik", "Mat", "Energi", "Media"]
FIRST_NAMES = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sofia", "Anders", "Emma", "Per", "Lena", "Oskar"]
LAST_NAMES = ["Andersson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Gustafsson", "Lind"]
TITLES = ["VD", "Inköpare", "Ekonomichef", "IT-ansvarig", "Projektledare", "Lagerchef", "Kundansvarig"]

PRODUCTS = [
    ("TENT-2P", "Tält Fjäll 2 personer", "goods", "pcs", "2495.00", "se-25"),
    ("TENT-4P", "Tält Fjäll 4 personer", "goods", "pcs", "3995.00", "se-25"),
    ("BAG-35L", "Ryggsäck 35 liter", "goods", "pcs", "1295.00", "se-25"),
    ("BAG-60L", "Ryggsäck 60 liter", "goods", "pcs", "1895.00", "se-25"),
    ("SLEEP-3S", "Sovsäck tresäsong", "goods", "pcs", "1595.00", "se-25"),
    ("STOVE-GAS", "Gasolkök kompakt", "goods", "pcs", "695.00", "se-25"),
    ("COFFEE-1KG", "Kaffe mellanrost 1 kg", "goods", "kg", "189.00", "se-12"),
    ("OAT-DRINK", "Havredryck 1 liter", "goods", "l", "24.90", "se-12"),
    ("BOOK-MAP", "Fjällkarta Jämtland", "goods", "pcs", "149.00", "se-6"),
    ("SVC-INSTALL", "Installation, per timme", "service", "h", "950.00", "se-25"),
    ("SVC-SUPPORT", "Supportavtal, per månad", "service", "month", "1200.00", "se-25"),
    ("SVC-TRAINING", "Utbildning, per timme", "service", "h", "1100.00", "se-25"),
    ("SVC-HEALTH", "Friskvårdstjänst (momsfri)", "service", "h", "600.00", "se-0"),
]


class Command(BaseCommand):
    help = "Create demo users and a believable company (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--organizations", type=int, default=40, help="How many extra organizations to make.")

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        rng = random.Random(2026)
        admin = self._staff()
        products = self._products(admin)
        customers = self._customers(admin)
        extra = self._organizations(admin, rng, options["organizations"])
        for name, seeder in demo.seeders().items():
            self.stdout.write(f"{name}: {seeder(admin)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(STAFF)} staff, {len(customers)} portal customers, "
                f"{len(extra) + len(customers)} organizations, {len(products)} products. Password: {DEMO_PASSWORD}"
            )
        )

    def _user(self, email: str, name: str, kind: str, **extra) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=name, kind=kind, **extra)
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        return user

    def _staff(self) -> User:
        admin = None
        for email, name, departments, is_admin in STAFF:
            extra = {"is_staff": True, "is_superuser": True} if is_admin else {}
            user = self._user(email, name, User.Kind.STAFF, **extra)
            user.groups.add(*Group.objects.filter(name__in=departments))
            admin = admin or user
        return admin

    def _products(self, admin: User) -> list[Product]:
        products = []
        for sku, name, kind, unit, price, tax in PRODUCTS:
            product = Product.objects.filter(sku=sku).first() or product_create(
                actor=admin,
                sku=sku,
                name=name,
                type=kind,
                unit=Unit.objects.get(code=unit),
                list_price=Decimal(price),
                currency=Currency.objects.get(code="SEK"),
                tax_rate=TaxRate.objects.get(code=tax),
            )
            products.append(product)
        return products

    def _organization(self, admin: User, name: str, org_number: str, roles: list[str], city: tuple[str, str]):
        organization = Organization.objects.filter(org_number=org_number).first()
        if organization is not None:
            return organization
        domain = name.lower().replace(" ab", "").replace(" ", "").replace("ö", "o").replace("ä", "a").replace("å", "a")
        organization = organization_create(
            actor=admin,
            name=name,
            org_number=org_number,
            vat_number=f"SE{org_number.replace('-', '')}01",
            roles=roles,
            email=f"info@{domain}.example",
            phone=f"08-{org_number[-4:]} {org_number[2:4]} 00",
            country="SE",
        )
        address_save(
            actor=admin,
            organization=organization,
            kind=Address.Kind.BILLING,
            line1=f"{STREETS[len(name) % len(STREETS)]} {len(name) + 3}",
            line2="",
            postal_code=city[1],
            city=city[0],
            country="SE",
            is_default=True,
        )
        return organization

    def _customers(self, admin: User) -> list[Person]:
        people = []
        for index, (name, org_number, email, first, last, title) in enumerate(CUSTOMERS):
            organization = self._organization(admin, name, org_number, ["customer"], CITIES[index])
            user = self._user(email, f"{first} {last}", User.Kind.CUSTOMER)
            person = Person.objects.filter(email=email).first()
            if person is None:
                person = person_create(
                    actor=admin,
                    first_name=first,
                    last_name=last,
                    email=email,
                    job_title=title,
                    organization=organization,
                    roles=["customer"],
                )
            if person.user_id is None:
                person.user = user
                person.save(update_fields=["user"])
            people.append(person)
        return people

    def _organizations(self, admin: User, rng: random.Random, count: int) -> list[Organization]:
        organizations = []
        for index in range(count):
            name = f"{PREFIXES[index % len(PREFIXES)]}{SUFFIXES[(index * 7) % len(SUFFIXES)].lower()} AB"
            org_number = f"559{index:03d}-{(index * 37) % 10000:04d}"
            roles = ["supplier"] if index % 6 == 0 else (["prospect"] if index % 5 == 0 else ["customer"])
            organization = self._organization(admin, name, org_number, roles, CITIES[index % len(CITIES)])
            if not organization.people.exists():
                for person_index in range(rng.randint(1, 4)):
                    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                    domain = organization.email.split("@")[1]
                    person_create(
                        actor=admin,
                        first_name=first,
                        last_name=last,
                        email=f"{first.lower()}.{last.lower()}{person_index}@{domain}",
                        phone=f"070-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                        job_title=rng.choice(TITLES),
                        organization=organization,
                        roles=list(organization.roles),
                    )
            organizations.append(organization)
        return organizations
