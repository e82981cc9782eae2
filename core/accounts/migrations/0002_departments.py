"""Create one group and department per department of the company.

Permissions are given by core.accounts.roles after every migrate, when all
apps' permissions exist.
"""

from django.db import migrations

DEPARTMENTS = [
    ("customer-service", "Customer Service", "front"),
    ("sales", "Sales", "front"),
    ("marketing", "Marketing", "front"),
    ("hr", "HR", "back"),
    ("finance", "Finance", "back"),
    ("it", "IT", "back"),
    ("logistics", "Logistics", "back"),
    ("legal", "Legal", "back"),
    ("management", "Management", "management"),
]


def create_departments(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Department = apps.get_model("accounts", "Department")
    for code, name, office in DEPARTMENTS:
        group, _ = Group.objects.get_or_create(name=name)
        Department.objects.get_or_create(code=code, defaults={"group": group, "office": office})


def remove_departments(apps, schema_editor):
    Department = apps.get_model("accounts", "Department")
    Group = apps.get_model("auth", "Group")
    codes = [code for code, _name, _office in DEPARTMENTS]
    names = [name for _code, name, _office in DEPARTMENTS]
    Department.objects.filter(code__in=codes).delete()
    Group.objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_departments, remove_departments)]
