"""A test-only app on the bus: probe events, subscribers with controllable faults, and their effects.

Installed under pytest and in the Celery worker that tests start
(KONTOR_EXTRA_APPS=tests.bus_probe), and by `bench/bus.py`; never in production.
"""
