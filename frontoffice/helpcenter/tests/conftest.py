import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _cache_of_our_own(settings):
    """The cache in this process's memory instead of Redis.

    Every test run without xdist shares Redis database 1 and clears it at the
    start of each test; a run in parallel would then flush the permissions
    these tests have cached halfway through, and the query counts below
    would depend on someone else's timing.
    """
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "helpcenter-tests"}
    }
    cache.clear()


@pytest.fixture
def agent(make_staff):
    """A customer service agent: every help center right."""
    return make_staff("Customer Service", full_name="Sara Support")


@pytest.fixture
def manager(make_staff):
    """Management: may read every help center page, change nothing."""
    return make_staff("Management", full_name="Ingrid Chef")


@pytest.fixture
def seller(make_staff):
    """A sales employee: no help center rights."""
    return make_staff("Sales", full_name="Johan Sälj")
