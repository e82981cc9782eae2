"""Upkeep of the PostgreSQL database that PostgreSQL's own autovacuum leaves undone."""

from django.db import connection

SMALL_TABLE_ROWS = 10_000


def analyze_stale_small_tables() -> list[str]:
    """ANALYZE the tables PostgreSQL has never analyzed, and small tables changed since they last were.

    Autovacuum analyzes a table once 50 rows plus 10 % of it have changed, so a small reference table (warehouse
    locations, queues, categories, journals) that never saw 50 changes is never analyzed. The planner then guesses
    that one row matches any condition on it, and a join through it can turn a 6 ms page into a sort of the whole
    big table: the stock API's 100th page took 450 ms on the logistics bench until `logistics_location`, 8 rows,
    was analyzed. Analyzing a small table costs a few milliseconds; beat runs this hourly. Returns the tables.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # counters as they are now, not as first read
        cursor.execute(
            """
            SELECT relname FROM pg_stat_user_tables
            WHERE schemaname = current_schema()
              AND ((last_analyze IS NULL AND last_autoanalyze IS NULL)
                   OR (n_mod_since_analyze > 0 AND n_live_tup < %s))
            ORDER BY relname
            """,
            [SMALL_TABLE_ROWS],
        )
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return tables
