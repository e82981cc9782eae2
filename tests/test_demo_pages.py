"""The demo company, seen by every department and by a customer: every page a person can reach by following
links answers without an error, no page shows a link its reader may not follow, and every GET of the API
(lists, and the first record of each) answers with data, a refusal or a field error, never a server error.

The demo is seeded once (`seed_demo`, as `make demo` does), then each demo login crawls breadth-first from its
start page, following the links in each page's HTML and what htmx loads (GET only, same site). Pages of one
shape (the same path with its numbers taken out, the same query keys) are fetched at most a few times, so the
crawl covers every kind of page without walking every record.
"""

import re
from collections import deque
from io import StringIO
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from core.accounts.models import User

pytestmark = pytest.mark.django_db

LINK = re.compile(r'(?:href|hx-get)="([^"#]+)"')  # links, and what htmx loads into a page
NUMBER = re.compile(r"\d+")
SKIPPED = ("/accounts/logout", "/static/", "/media/")
PER_SHAPE = 3


def crawl(client: Client, start: str, prefixes: tuple[str, ...], limit: int) -> tuple[int, list[str]]:
    """Fetch pages from `start`; return how many, and the problems: 'url (from page): status or error'."""
    queue, seen, shapes, problems, fetched = deque([(start, "-")]), set(), {}, [], 0
    while queue and fetched < limit:
        url, parent = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        parts = urlsplit(url)
        shape = (NUMBER.sub("N", parts.path), tuple(sorted(pair.split("=")[0] for pair in parts.query.split("&"))))
        shapes[shape] = shapes.get(shape, 0) + 1
        if shapes[shape] > PER_SHAPE:
            continue
        fetched += 1
        try:
            response = client.get(url)
        except Exception as error:  # noqa: BLE001 - a crash is what the crawl is looking for
            problems.append(f"{url} (from {parent}): {type(error).__name__}: {error}")
            continue
        if response.status_code >= 400:
            problems.append(f"{url} (from {parent}): {response.status_code}")
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for link in LINK.findall(response.content.decode(errors="replace")):
            target = urlsplit(urljoin(url, link.replace("&amp;", "&")))
            if target.netloc not in ("", "testserver") or not target.path.startswith(prefixes):
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            if path not in seen and not any(part in path for part in SKIPPED):
                queue.append((path, url))
    return fetched, problems


PARAMETER = re.compile(r"\{(\w+)\}")


def crawl_api(client: APIClient, paths: list[str]) -> list[str]:
    """GET every path of the schema; a path with a parameter takes it from the first row of its list."""
    problems = []
    for path in paths:
        url = path
        if PARAMETER.search(path):
            listing = client.get(path.split("{")[0])
            rows = listing.json().get("results") if listing.status_code == 200 else None
            if not rows:
                continue
            name = PARAMETER.search(path).group(1)
            value = rows[0].get(name, rows[0].get("id"))
            url = PARAMETER.sub(str(value), path, count=1)
            if PARAMETER.search(url) or value is None:
                continue
        response = client.get(url)
        if response.status_code in (200, 403):
            continue
        if response.status_code == 400 and isinstance(response.json(), dict):  # a field it needs, by name
            continue
        problems.append(f"API {url}: {response.status_code} {response.content[:200]!r}")
    return problems


def test_every_demo_login_reaches_only_pages_that_work_for_them():
    call_command("seed_demo", stdout=StringIO())
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    api_paths = [path for path, operations in schema["paths"].items() if "get" in operations]
    assert len(api_paths) > 50
    problems, reached = [], {}
    staff = User.objects.filter(kind=User.Kind.STAFF, email__endswith="@kontor.example").order_by("email")
    assert staff.count() == 10
    for user in staff:
        client = Client()
        client.force_login(user)
        prefixes = ("/app/", "/admin/") if user.is_superuser else ("/app/",)
        fetched, found = crawl(client, "/app/", prefixes, limit=400 if user.is_superuser else 300)
        reached[user.email] = fetched
        api = APIClient()
        api.force_authenticate(user)
        found += crawl_api(api, api_paths)
        problems += [f"{user.email}: {problem}" for problem in found]
    for customer in User.objects.filter(kind=User.Kind.CUSTOMER).order_by("email"):
        client = Client()
        client.force_login(customer)
        fetched, found = crawl(client, "/portal/", ("/portal/",), limit=200)
        reached[customer.email] = fetched
        api = APIClient()
        api.force_authenticate(customer)
        found += crawl_api(api, api_paths)
        problems += [f"{customer.email}: {problem}" for problem in found]
    assert not problems, "\n".join(problems)
    # Everyone got somewhere: the admin and Management through most of the app, each department its own part.
    assert reached["admin@kontor.example"] >= 300 and reached["management@kontor.example"] >= 200
    assert min(reached.values()) >= 20, reached
