"""Celery tasks of the CRM's import: the dry run and the confirmed import of an uploaded file.

They run in a worker because a big file takes longer than a page may; the
page polls the job's progress (frontoffice.crm.importing keeps it in the cache).
"""

from celery import shared_task

from frontoffice.crm import importing

# Every row goes through the services: about 29 queries for a new account, 12-25 ms a row. Measured on a
# developer machine, 20,000 new accounts took 5.5 minutes (dry run up to 8.5), 20,000 changed ones 4.5 and
# 20,000 unchanged ones 2 (no service call). Leave room for a slow day; the broker's visibility timeout
# (CELERY_VISIBILITY_TIMEOUT, 1 hour) must stay longer than this.
IMPORT_SOFT_TIME_LIMIT = 30 * 60


@shared_task(ignore_result=True, soft_time_limit=IMPORT_SOFT_TIME_LIMIT, time_limit=IMPORT_SOFT_TIME_LIMIT + 60)
def run_import(token: str, commit: bool) -> None:
    """Check (commit=False) or import (commit=True) the rows of an uploaded file."""
    importing.import_job_run(token=token, commit=commit)
