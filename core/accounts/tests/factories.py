import factory
from django.contrib.auth.models import Group

from core.accounts.models import User

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    """A customer login by default; see StaffFactory for employees."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    kind = User.Kind.CUSTOMER
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted, **kwargs) -> None:
        """Give the user a verified primary e-mail address (allauth requires one to sign in)."""
        if create and extracted is not False:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.update_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class StaffFactory(UserFactory):
    """An employee; `departments=["Sales"]` puts them in those department groups."""

    kind = User.Kind.STAFF
    email = factory.Sequence(lambda n: f"staff{n}@kontor.example")

    @factory.post_generation
    def departments(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
