"""The hourly ANALYZE of small tables that autovacuum never analyzes."""

import pytest
from django.db import connection

from core.database import analyze_stale_small_tables

pytestmark = pytest.mark.django_db


def _statistics(cursor, table: str):
    cursor.execute("SELECT pg_stat_clear_snapshot()")
    cursor.execute(
        "SELECT s.last_analyze, c.reltuples FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
        "WHERE s.relname = %s",
        [table],
    )
    return cursor.fetchone()


def test_a_small_table_never_analyzed_is_analyzed_once():
    with connection.cursor() as cursor:  # a reference table of a few rows: autovacuum would never look at it
        cursor.execute("CREATE TABLE kontor_analyze_probe (id int PRIMARY KEY, kind text)")
        cursor.execute("INSERT INTO kontor_analyze_probe SELECT n, 'internal' FROM generate_series(1, 8) n")
        assert _statistics(cursor, "kontor_analyze_probe")[0] is None

        assert "kontor_analyze_probe" in analyze_stale_small_tables()
        analyzed_at, rows = _statistics(cursor, "kontor_analyze_probe")
        assert analyzed_at is not None and rows == 8  # the planner knows its rows now

        assert "kontor_analyze_probe" not in analyze_stale_small_tables()  # unchanged since: left alone
        assert _statistics(cursor, "kontor_analyze_probe")[0] == analyzed_at
