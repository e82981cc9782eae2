import factory

from core.parties.models import Address, Organization, Person


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Företag {n} AB")
    org_number = factory.Sequence(lambda n: f"556{n:03d}-{n:04d}"[:11])
    roles = factory.LazyFunction(lambda: ["customer"])
    email = factory.Sequence(lambda n: f"info{n}@foretag.example")
    country = "SE"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@foretag.example")
    organization = factory.SubFactory(OrganizationFactory)
    roles = factory.LazyFunction(lambda: ["customer"])


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    organization = factory.SubFactory(OrganizationFactory)
    kind = Address.Kind.BILLING
    line1 = factory.Sequence(lambda n: f"Storgatan {n}")
    postal_code = "111 22"
    city = "Stockholm"
    country = "SE"
