"""Django's Redis cache, with one redis-py client per connection pool instead of one per call; and a memo of
reference data in each process that follows changes through a version token in that cache.

Django builds a new `redis.Redis` object for every cache call; building one
fills its table of response callbacks (about 170 entries), which cost more
than the round trip to Redis itself. Clients are thread-safe and share the
pool, so one per pool is enough.
"""

import threading
import time
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connection, transaction


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write: bool = False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient


class SharedVersionMemo[T]:
    """Reference data read on hot paths and changed rarely (categories, policies), held in each process.

    The copy a process holds is good while a version token in the shared cache is the one it was built under:
    one small read per use instead of a round trip with the pickled rows (unpickling model instances costs more
    than the read). `forget()` gives the token a new value at once (so the changing transaction reads its own
    change) and again when that transaction commits (so a process that rebuilt from the old rows in between
    builds again). What a thread builds inside a transaction that has changed the data is not kept: that
    transaction may still roll back. `max_age` bounds how long a copy lives, a safety net for changes made
    behind Django's back.

    The value is shared by every request the process serves: treat it as read-only.
    """

    def __init__(self, key: str, build: Callable[[], T], *, max_age: float = 300) -> None:
        self.key = key
        self.build = build
        self.max_age = max_age
        self._memo: tuple[str, float, T] | None = None
        self._local = threading.local()  # .changing: this thread changed the data in a transaction still open

    def get(self) -> T:
        version = cache.get(self.key)
        if version is None:  # first use, or the cache was emptied: every process builds again
            cache.add(self.key, uuid.uuid4().hex, timeout=None)
            version = cache.get(self.key)
        if getattr(self._local, "changing", False):
            if connection.in_atomic_block:
                return self.build()  # its own, uncommitted view: for this transaction only
            self._local.changing = False  # that transaction is over (a rollback leaves no hook to say so)
        memo = self._memo
        now = time.monotonic()
        if memo is not None and memo[0] == version and memo[1] > now:
            return memo[2]
        value = self.build()
        self._memo = (version, now + self.max_age, value)
        return value

    def forget(self, **kwargs) -> None:
        """Make every process build the value again (usable as a signal receiver)."""
        self._memo = None
        cache.set(self.key, uuid.uuid4().hex, timeout=None)
        if connection.in_atomic_block:
            self._local.changing = True
        transaction.on_commit(self._committed)

    def _committed(self) -> None:
        self._local.changing = False
        cache.set(self.key, uuid.uuid4().hex, timeout=None)
