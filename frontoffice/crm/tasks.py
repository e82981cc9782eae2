from celery import shared_task

from frontoffice.crm import services
from frontoffice.crm.import_tasks import run_import  # noqa: F401  (registers the import's task with the worker)


@shared_task(ignore_result=True)
def send_activity_reminders() -> int:
    """Beat, every minute: remind assignees of activities that are due."""
    return services.activity_send_reminders()
