"""Plain SQL beside the ORM (a model's columns, and instances from rows), and upkeep of the PostgreSQL database
that PostgreSQL's own autovacuum leaves undone."""

from collections.abc import Iterable

from django.db import connection, models

SMALL_TABLE_ROWS = 10_000


class Columns[M: models.Model]:
    """A model's columns for a plain SELECT (all, or those named), in the order Model.from_db takes them, and the
    instances its rows make. Fields not read stay deferred: Django reads them when touched.

    For the hot reads that are one plain statement rather than an ORM query (building the query cost more than
    answering it).
    """

    def __init__(self, model: type[M], only: Iterable[str] | None = None, *, table: str = "") -> None:
        wanted = None if only is None else set(only)
        fields = [field for field in model._meta.concrete_fields if wanted is None or field.attname in wanted]
        prefix = f"{table}." if table else ""
        self.model = model
        self.attnames = [field.attname for field in fields]
        self.sql = ", ".join(prefix + connection.ops.quote_name(field.column) for field in fields)

    def __len__(self) -> int:
        return len(self.attnames)

    def instance(self, row) -> M:
        """The instance of a row holding exactly these columns, as a query would have made it."""
        return self.model.from_db(connection.alias, self.attnames, row)


def mark_saved[M: models.Model](instance: M, pk) -> M:
    """An instance inserted by a plain INSERT … RETURNING, made to look as the ORM leaves one it saved."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


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
