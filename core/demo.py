"""Demo data from every app: `seed_demo` runs the kernel's own and then each app's registered seeder.

Apps register in their AppConfig.ready(), so the kernel never imports them.
A seeder gets the demo admin, must be idempotent, and returns a line for the summary.
"""

from collections.abc import Callable

_SEEDERS: dict[str, Callable] = {}


def register(name: str, seeder: Callable) -> None:
    _SEEDERS[name] = seeder


def seeders() -> dict[str, Callable]:
    return dict(_SEEDERS)
