"""Headquarters schema migrations: numbered, forward only, one list for SQLite and PostgreSQL.

Why not Alembic: it would bring SQLAlchemy — a second way of talking to the database beside the
DB-API the store uses — for a dozen statements. This is the bus database's runner (ztc/db) with
two additions: each step may say its statements per dialect (``Step.postgresql`` replaces
``Step.sql`` there), and the version lives where each engine keeps it best (SQLite's
``PRAGMA user_version`` as on the bus; a one-row ``schema_version`` table on PostgreSQL).

Several processes may start together against one database: SQLite serialises them with
``BEGIN IMMEDIATE``, PostgreSQL with a transaction-level advisory lock; each step and its version
commit together, so a crash leaves the database at a whole step.

Version 1 is the schema that earlier releases created with ``CREATE TABLE IF NOT EXISTS`` in four
modules; it keeps those clauses so a database made by them (version 0, tables present) is adopted
as it is. New steps go at the end of ``STEPS`` and never change once released.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x7A7C4851  # the advisory-lock key of "migrating the HQ schema" ("ztcHQ")


class Cursor(Protocol):
    def fetchone(self) -> Any: ...


class Executor(Protocol):
    def execute(self, sql: str, args: tuple = ...) -> Cursor: ...


# SQL text, or a function of the connection for what SQL alone cannot say on that engine
# (SQLite has no ADD COLUMN IF NOT EXISTS).
Statement = str | Callable[["Executor"], None]


@dataclass(frozen=True)
class Step:
    version: int
    name: str
    sql: tuple[Statement, ...]                 # both engines, unless a dialect's own list is given
    postgresql: tuple[Statement, ...] | None = None
    sqlite: tuple[Statement, ...] | None = None

    def statements(self, dialect: str) -> tuple[Statement, ...]:
        own = self.postgresql if dialect == "postgresql" else self.sqlite
        return own if own is not None else self.sql


_TABLES_V1 = (
    # hq.storage: what the buses send
    """CREATE TABLE IF NOT EXISTS buses (
        id TEXT PRIMARY KEY,
        online INTEGER NOT NULL DEFAULT 0,
        boot TEXT, sw TEXT,
        status_ts DOUBLE PRECISION, status_at DOUBLE PRECISION,
        last_seen DOUBLE PRECISION,
        position TEXT, queue TEXT, health TEXT)""",
    """CREATE TABLE IF NOT EXISTS events (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, seq BIGINT NOT NULL,
        id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL,
        data TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (bus, epoch, seq))""",
    """CREATE TABLE IF NOT EXISTS epochs (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, upto BIGINT NOT NULL DEFAULT 0,
        first_seen DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (bus, epoch))""",
    """CREATE TABLE IF NOT EXISTS coverage (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL,
        PRIMARY KEY (bus, epoch, lo, hi))""",
    """CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS replies (
        bus TEXT NOT NULL, id TEXT NOT NULL, ok INTEGER NOT NULL, detail TEXT NOT NULL,
        received_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (bus, id))""",
    # hq.auth
    """CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS login_failures (
        name TEXT PRIMARY KEY, failures BIGINT NOT NULL, locked_until DOUBLE PRECISION)""",
    """CREATE TABLE IF NOT EXISTS sessions (
        token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL)""",
    # hq.cases
    """CREATE TABLE IF NOT EXISTS cases (
        event_id TEXT PRIMARY KEY, bus TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, level BIGINT NOT NULL,
        data TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open', assignee TEXT, deadline DOUBLE PRECISION NOT NULL,
        resolution TEXT, updated_at DOUBLE PRECISION, updated_by TEXT)""",
    # hq.documents
    """CREATE TABLE IF NOT EXISTS documents (
        kind TEXT NOT NULL, bus TEXT NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL,
        published_at DOUBLE PRECISION NOT NULL, published_by TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, bus, version))""",
    """CREATE TABLE IF NOT EXISTS commands (
        id TEXT PRIMARY KEY, bus TEXT NOT NULL, body TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        created_by TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0)""",
    # The day's figures read events by type and time.
    "CREATE INDEX IF NOT EXISTS events_type_ts ON events(type, ts)",
)

_POSITIONS = """CREATE TABLE IF NOT EXISTS positions (
        bus TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, source TEXT NOT NULL,
        lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL,
        speed DOUBLE PRECISION, track DOUBLE PRECISION, stop TEXT,
        PRIMARY KEY (bus, ts, source))"""

AUDIT_KEEP_DAYS = 180  # hq.audit.MIN_RETENTION_DAYS: 等保 2.0 keeps staff actions at least 180 days

_TABLES_V4 = (
    # hq.clock_steps
    """CREATE TABLE IF NOT EXISTS clock_steps (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, step_seq BIGINT NOT NULL,
        from_seq BIGINT NOT NULL, upto_seq BIGINT NOT NULL, delta_s DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (bus, epoch, step_seq))""",
    # hq.login_limits
    """CREATE TABLE IF NOT EXISTS login_throttle (
        name TEXT NOT NULL, client TEXT NOT NULL, failures BIGINT NOT NULL,
        locked_until DOUBLE PRECISION, last_failure DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (name, client))""",
    # hq.stops
    """CREATE TABLE IF NOT EXISTS stops (
        id TEXT PRIMARY KEY, name_zh TEXT NOT NULL, name_en TEXT NOT NULL, village TEXT NOT NULL,
        lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL, radius_m DOUBLE PRECISION NOT NULL,
        liaison_name TEXT NOT NULL, liaison_phone TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL, updated_by TEXT NOT NULL)""",
    # hq.route_calendar
    """CREATE TABLE IF NOT EXISTS route_templates (
        id TEXT PRIMARY KEY, bus TEXT NOT NULL, weekday BIGINT NOT NULL, stop TEXT NOT NULL,
        arrive TEXT NOT NULL, depart TEXT NOT NULL, services TEXT NOT NULL, theme TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL, updated_by TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS route_exceptions (
        id TEXT PRIMARY KEY, bus TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL,
        template_id TEXT, stop TEXT, arrive TEXT, depart TEXT, services TEXT, theme TEXT NOT NULL,
        description TEXT NOT NULL, reason TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, created_by TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS route_publications (
        bus TEXT NOT NULL, version BIGINT NOT NULL, start_day TEXT NOT NULL, end_day TEXT NOT NULL,
        sessions TEXT NOT NULL, published_at DOUBLE PRECISION NOT NULL, published_by TEXT NOT NULL,
        PRIMARY KEY (bus, version))""",
    "CREATE INDEX IF NOT EXISTS route_templates_bus ON route_templates(bus, weekday)",
    "CREATE INDEX IF NOT EXISTS route_exceptions_bus_day ON route_exceptions(bus, day)",
)
_AUDIT_INDEXES = (
    "CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at)",
    "CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log(actor, at)",
)
# hq.quarantine: the raw bytes of what was refused (BLOB on SQLite, BYTEA on PostgreSQL)
_QUARANTINE = """CREATE TABLE IF NOT EXISTS quarantine (
        bus TEXT NOT NULL, key TEXT NOT NULL, topic TEXT NOT NULL, epoch TEXT, seq BIGINT, event_id TEXT,
        type TEXT, reason TEXT NOT NULL, raw {blob} NOT NULL, raw_bytes BIGINT NOT NULL,
        received_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (bus, key))"""
_QUARANTINE_INDEX = "CREATE INDEX IF NOT EXISTS quarantine_bus_topic ON quarantine(bus, topic, received_at)"

def _users_disabled_sqlite(conn: Executor) -> None:
    """users.disabled (hq.accounts_api), unless hq.auth already added it to this file."""
    if "disabled" not in [r[1] for r in conn.execute("PRAGMA table_info(users)").fetchall()]:
        conn.execute("ALTER TABLE users ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0")


_CATALOG_DRAFT = """CREATE TABLE IF NOT EXISTS catalog_draft (
        id BIGINT PRIMARY KEY, body TEXT NOT NULL, based_on BIGINT NOT NULL,
        saved_at DOUBLE PRECISION NOT NULL, saved_by TEXT NOT NULL)"""

_TABLES_V6 = (
    # hq.bookings
    """CREATE TABLE IF NOT EXISTS bookings (
        id TEXT PRIMARY KEY, code TEXT NOT NULL, bus TEXT NOT NULL, kind TEXT NOT NULL, day TEXT NOT NULL,
        slot_start DOUBLE PRECISION NOT NULL, slot_end DOUBLE PRECISION NOT NULL, stop TEXT NOT NULL,
        place TEXT NOT NULL, service TEXT NOT NULL, item TEXT NOT NULL, name TEXT NOT NULL, phone TEXT NOT NULL,
        address TEXT NOT NULL, lat DOUBLE PRECISION, lon DOUBLE PRECISION, need TEXT NOT NULL, note TEXT NOT NULL,
        status TEXT NOT NULL, cancel_reason TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, created_by TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL, updated_by TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS bookings_bus_day ON bookings(bus, day)",
    "CREATE INDEX IF NOT EXISTS bookings_slot ON bookings(bus, stop, slot_start)",
    # hq.cases (the per-ticket cases; migration 1's ``cases`` table is no longer written)
    """CREATE TABLE IF NOT EXISTS rating_cases (
        ticket_id TEXT PRIMARY KEY, bus TEXT NOT NULL, opened_at DOUBLE PRECISION NOT NULL,
        rated_at DOUBLE PRECISION NOT NULL, level BIGINT NOT NULL, data TEXT NOT NULL,
        status TEXT NOT NULL, handler TEXT, callback_wanted BIGINT NOT NULL DEFAULT 0,
        callback_due DOUBLE PRECISION NOT NULL, deadline DOUBLE PRECISION NOT NULL,
        justified BIGINT, reason_class TEXT, acted_by TEXT, resolution TEXT,
        closed_at DOUBLE PRECISION, escalated_at DOUBLE PRECISION)""",
    """CREATE TABLE IF NOT EXISTS case_steps (
        id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, n BIGINT NOT NULL, step TEXT NOT NULL, actor TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL, note TEXT NOT NULL, extra TEXT, UNIQUE (ticket_id, n))""",
    """CREATE TABLE IF NOT EXISTS case_evidence (
        id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, name TEXT NOT NULL, media_type TEXT NOT NULL,
        body TEXT NOT NULL, size BIGINT NOT NULL, actor TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)""",
    # hq.ratings
    """CREATE TABLE IF NOT EXISTS phone_ratings (
        id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, bus TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL,
        level BIGINT, reasons TEXT NOT NULL, text TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS phone_ratings_ticket ON phone_ratings(ticket_id, ts)",
    # hq.accepted
    """CREATE TABLE IF NOT EXISTS accepted_cases (
        event_id TEXT PRIMARY KEY, bus TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, ticket_id TEXT NOT NULL,
        number TEXT, service TEXT, item TEXT, case_no TEXT, department TEXT, promised_date TEXT,
        status TEXT NOT NULL DEFAULT 'open', done_at DOUBLE PRECISION, done_by TEXT, note TEXT,
        ems_no TEXT, ems_at DOUBLE PRECISION, ems_by TEXT)""",
    "CREATE INDEX IF NOT EXISTS accepted_cases_ticket ON accepted_cases(ticket_id)",
    # hq.demand
    """CREATE TABLE IF NOT EXISTS phone_suggestions (
        id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, bus TEXT, stop TEXT, service TEXT,
        text TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS phone_suggestions_ticket ON phone_suggestions(ticket_id)",
    # hq.report_archive
    """CREATE TABLE IF NOT EXISTS reports (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL, first_day TEXT NOT NULL,
        last_day TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, created_by TEXT NOT NULL,
        figures TEXT NOT NULL, csv TEXT NOT NULL, pdf TEXT NOT NULL)""",
    # hq.catalog_editor: one draft row (id 1)
    _CATALOG_DRAFT,
)

_CATALOG_DRAFT_COLUMNS = "id, body, based_on, saved_at, saved_by"


def _catalog_draft_as_step_6_sqlite(conn: Executor) -> None:
    """hq.catalog_editor made catalog_draft with ``id INTEGER PRIMARY KEY`` (a rowid alias on SQLite)
    before step 6 took the table over as ``id BIGINT PRIMARY KEY``, which step 6 adopted as it found
    it: rebuild such a file's table (its draft row kept) so every database has step 6's schema."""
    kinds = {r[1]: r[2].upper() for r in conn.execute("PRAGMA table_info(catalog_draft)").fetchall()}
    if kinds.get("id") != "INTEGER":
        return
    conn.execute(_CATALOG_DRAFT.replace("IF NOT EXISTS catalog_draft", "catalog_draft_step7"))
    conn.execute(f"INSERT INTO catalog_draft_step7({_CATALOG_DRAFT_COLUMNS}) "
                 f"SELECT {_CATALOG_DRAFT_COLUMNS} FROM catalog_draft")
    conn.execute("DROP TABLE catalog_draft")
    conn.execute("ALTER TABLE catalog_draft_step7 RENAME TO catalog_draft")


STEPS: tuple[Step, ...] = (
    Step(1, "initial", sql=(), sqlite=(
        *_TABLES_V1, _POSITIONS,
        "CREATE INDEX IF NOT EXISTS events_ticket ON events(json_extract(data, '$.ticket_id'))",
        "CREATE INDEX IF NOT EXISTS positions_bus_ts ON positions(bus, ts)",
    ), postgresql=(
        *_TABLES_V1,
        # Positions grow without bound: partitioned by month of ``ts`` (hq.retention creates each
        # month's partition ahead and drops those past hq.position_retention_days); the default
        # partition takes a position from a month not created yet (a bus clock far off).
        _POSITIONS + " PARTITION BY RANGE (ts)",
        "CREATE TABLE IF NOT EXISTS positions_default PARTITION OF positions DEFAULT",
        "CREATE INDEX IF NOT EXISTS events_ticket ON events((data::jsonb ->> 'ticket_id'))",
        "CREATE INDEX IF NOT EXISTS positions_bus_ts ON positions(bus, ts)",
    )),
    # Counters by process: with several ingest processes one row per name would be a hot row that
    # every batch's transaction waits on until the other's commit; each process now adds to its own.
    Step(2, "counters_by_node", sql=(
        "CREATE TABLE counter_shards (name TEXT NOT NULL, node TEXT NOT NULL, value BIGINT NOT NULL, "
        "PRIMARY KEY (name, node))",
        "INSERT INTO counter_shards(name, node, value) SELECT name, '', value FROM counters",
        "DROP TABLE counters",
        "ALTER TABLE counter_shards RENAME TO counters",
    )),
    # positions_bus_ts repeated the primary key's leading columns (bus, ts): a third of the bytes
    # of every position row for no query that the key does not serve (PERFORMANCE.md's plan).
    Step(3, "positions_one_index", sql=(
        "DROP INDEX IF EXISTS positions_bus_ts",
    )),
    # The tables that modules created themselves with ensure_schema while this runner was being
    # written (clock steps, the audit log, the quarantine, log-in throttling, stops, route calendar);
    # IF NOT EXISTS adopts a database where they already exist. login_failures gave way to
    # login_throttle (per name and client, hq.login_limits).
    Step(4, "clock_audit_quarantine_throttle_stops_calendar", sql=(), sqlite=(
        *_TABLES_V4,
        """CREATE TABLE IF NOT EXISTS audit_log (
        id INTEGER PRIMARY KEY, at DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL, client TEXT NOT NULL,
        kind TEXT NOT NULL, target TEXT NOT NULL, before TEXT, after TEXT)""",
        *_AUDIT_INDEXES,
        """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be changed'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS audit_log_keep BEFORE DELETE ON audit_log
        WHEN old.at > CAST(strftime('%s', 'now') AS REAL) - {AUDIT_KEEP_DAYS} * 86400
        BEGIN SELECT RAISE(ABORT, 'audit log rows are kept {AUDIT_KEEP_DAYS} days'); END""",
        _QUARANTINE.format(blob="BLOB"), _QUARANTINE_INDEX,
        "DROP TABLE IF EXISTS login_failures",
    ), postgresql=(
        *_TABLES_V4,
        """CREATE TABLE IF NOT EXISTS audit_log (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at DOUBLE PRECISION NOT NULL,
        actor TEXT NOT NULL, client TEXT NOT NULL,
        kind TEXT NOT NULL, target TEXT NOT NULL, before TEXT, after TEXT)""",
        *_AUDIT_INDEXES,
        # The same two refusals as SQLite's triggers, in one trigger function; TRUNCATE (which
        # skips row triggers) is refused too.
        f"""CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                RAISE EXCEPTION 'audit log rows cannot be changed';
            ELSIF TG_OP = 'TRUNCATE' THEN
                RAISE EXCEPTION 'audit log rows are kept {AUDIT_KEEP_DAYS} days: no TRUNCATE';
            ELSIF OLD.at > EXTRACT(EPOCH FROM now()) - {AUDIT_KEEP_DAYS} * 86400 THEN
                RAISE EXCEPTION 'audit log rows are kept {AUDIT_KEEP_DAYS} days';
            END IF;
            RETURN OLD;
        END $$""",
        "CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_guard()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard()",
        _QUARANTINE.format(blob="BYTEA"), _QUARANTINE_INDEX,
        "DROP TABLE IF EXISTS login_failures",
    )),
    # hq.contacts: the callback number a resident left, kept out of ``events`` (stored by the ingest).
    Step(5, "case_contacts", sql=(
        """CREATE TABLE IF NOT EXISTS case_contacts (
        ticket_id TEXT PRIMARY KEY, bus TEXT NOT NULL, phone TEXT NOT NULL, consent TEXT NOT NULL,
        source TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL, purge_after DOUBLE PRECISION)""",
    )),
    # The back office's tables, which its modules created with ensure_schema until now (IF NOT EXISTS
    # adopts a database where they did): bookings, cases, ratings, follow-up, reports, the catalog
    # draft, and the accounts' disabled flag.
    Step(6, "back_office", sql=(), sqlite=(*_TABLES_V6, _users_disabled_sqlite), postgresql=(
        *_TABLES_V6, "ALTER TABLE users ADD COLUMN IF NOT EXISTS disabled BIGINT NOT NULL DEFAULT 0")),
    # Found by upgrading the schema of every earlier release (tests/hq/test_migrations_every_version.py):
    # a file main's catalog editor made kept its own catalog_draft. Nothing to do on PostgreSQL (no
    # release made an HQ database there before step 1).
    Step(7, "catalog_draft_as_step_6", sql=(), sqlite=(_catalog_draft_as_step_6_sqlite,)),
)


def latest_version() -> int:
    return STEPS[-1].version


def _check_numbering() -> None:
    numbers = [s.version for s in STEPS]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"HQ migrations are not numbered 1..n: {numbers}")


def current_version(conn: Executor, dialect: str) -> int:
    if dialect == "sqlite":
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    got = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(got[0]) if got else 0


def migrate(conn: Executor, dialect: str, target: int | None = None) -> int:
    """Apply every step after the database's version up to ``target`` (default: the latest), each in
    its own transaction with its version. ``conn`` must be in autocommit mode. Returns the version."""
    _check_numbering()
    goal = latest_version() if target is None else target
    while True:
        conn.execute("BEGIN IMMEDIATE" if dialect == "sqlite" else "BEGIN")
        try:
            if dialect == "postgresql":
                conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            version = current_version(conn, dialect)
            if version > latest_version():
                raise MigrationError(f"总部数据库版本 {version} 比本程序新 / the headquarters database is at "
                                     f"version {version}, newer than this ztc ({latest_version()}): upgrade ztc")
            if version >= goal:
                conn.execute("COMMIT")
                return version
            step = STEPS[version]
            for statement in step.statements(dialect):
                if callable(statement):
                    statement(conn)
                else:
                    conn.execute(statement)
            if dialect == "sqlite":
                conn.execute(f"PRAGMA user_version = {step.version}")
            else:
                conn.execute("DELETE FROM schema_version")
                conn.execute("INSERT INTO schema_version(version) VALUES (?)", (step.version,))
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")
            raise
        log.info("headquarters database migrated to version %d (%s)", step.version, step.name)


class MigrationError(Exception):
    """The database cannot be brought to this version of the schema."""
