from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.update(is_staff=True, is_superuser=True, kind=User.Kind.STAFF)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in to Kontor: an employee (staff) or a customer's contact.

    The kind decides where they belong: staff work in /app/, customers in
    /portal/. `is_staff` keeps Django's meaning: may open /admin/.
    """

    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff")
        CUSTOMER = "customer", _("Customer")

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CUSTOMER)
    language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("Language for e-mails and pages."))
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("admin access"), default=False, help_text=_("May sign in to /admin/."))
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(kind="staff") | models.Q(is_staff=False, is_superuser=False),
                name="accounts_user_customer_never_admin",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split(" ")[0] if self.full_name else "") or self.email

    @property
    def is_employee(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def is_customer(self) -> bool:
        return self.kind == self.Kind.CUSTOMER

    def get_absolute_url(self) -> str:
        return reverse("admin:accounts_user_change", args=[self.pk])


class Department(models.Model):
    """A department of the company; its members are the users of its group.

    Rights come from the group's permissions; the department adds what a group
    cannot say: which office it belongs to and whether its members must use
    two-factor sign-in.
    """

    class Office(models.TextChoices):
        FRONT = "front", _("Front office")
        BACK = "back", _("Back office")
        MANAGEMENT = "management", _("Management")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="department")
    office = models.CharField(_("office"), max_length=16, choices=Office.choices)
    mfa_required = models.BooleanField(
        _("two-factor sign-in required"),
        default=False,
        help_text=_("Members must set up an authenticator app before they can use Kontor."),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["office", "group__name"]

    def __str__(self) -> str:
        return self.group.name
