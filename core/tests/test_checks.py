from core.checks import celery_timeouts


def test_default_celery_timeouts_are_consistent():
    assert celery_timeouts(None) == []


def test_visibility_timeout_shorter_than_a_task_is_an_error(settings):
    settings.CELERY_VISIBILITY_TIMEOUT = 100
    ids = [problem.id for problem in celery_timeouts(None)]
    assert ids == ["kontor.E001", "kontor.E001"]


def test_soft_limit_must_come_before_the_hard_limit(settings):
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 300
    assert [problem.id for problem in celery_timeouts(None)] == ["kontor.E002"]
