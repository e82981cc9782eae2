from celery import shared_task

from frontoffice.crm import services


@shared_task(ignore_result=True)
def send_activity_reminders() -> int:
    """Beat, every minute: remind assignees of activities that are due."""
    return services.activity_send_reminders()
