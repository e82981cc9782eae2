"""The Celery application: Redis broker, JSON only, settings under CELERY_*."""

import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kontor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes this worker's heartbeat to Redis every few seconds for /health/."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        self.timer_ref = None

    def start(self, worker):
        from core.health import worker_heartbeat

        worker_heartbeat(worker.hostname)
        self.timer_ref = worker.timer.call_repeatedly(10.0, worker_heartbeat, (worker.hostname,), priority=10)

    def stop(self, worker):
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None


app.steps["worker"].add(WorkerHeartbeat)
