"""System checks for settings whose values depend on each other."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def celery_timeouts(app_configs, **kwargs) -> list:
    """The broker hands an unacknowledged task out again after the visibility timeout: it must outlast any task."""
    problems = []
    visibility = settings.CELERY_VISIBILITY_TIMEOUT
    for name in ("CELERY_TASK_TIME_LIMIT", "CELERY_MAX_COUNTDOWN"):
        if getattr(settings, name) >= visibility:
            problems.append(
                Error(
                    f"{name} ({getattr(settings, name)} s) must be shorter than CELERY_VISIBILITY_TIMEOUT "
                    f"({visibility} s), or a task still running or waiting is handed out twice.",
                    id="kontor.E001",
                )
            )
    if settings.CELERY_TASK_SOFT_TIME_LIMIT >= settings.CELERY_TASK_TIME_LIMIT:
        problems.append(
            Error("CELERY_TASK_SOFT_TIME_LIMIT must be shorter than CELERY_TASK_TIME_LIMIT.", id="kontor.E002")
        )
    resend = getattr(settings, "BUS_RESEND_AFTER_SECONDS", None)
    if resend is not None and resend <= settings.CELERY_TASK_TIME_LIMIT:
        problems.append(
            Warning(
                f"BUS_RESEND_AFTER_SECONDS ({resend} s) is not longer than CELERY_TASK_TIME_LIMIT: deliveries "
                "still running may be sent again (harmless, but wasted work).",
                id="kontor.W001",
            )
        )
    return problems
