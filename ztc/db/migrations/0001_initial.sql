-- Version 1: the bus database. Every state change also writes an outbox row in the same
-- transaction (see ztc/db/outbox.py); the outbox is what reaches headquarters.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- AUTOINCREMENT: a seq is never reused, even after acknowledged rows are deleted.
CREATE TABLE outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT NOT NULL UNIQUE,
    type      TEXT NOT NULL,
    ts        REAL NOT NULL,
    data      TEXT NOT NULL,
    droppable INTEGER NOT NULL DEFAULT 0   -- 1 only for recorded positions (track)
);
CREATE INDEX outbox_droppable ON outbox(droppable, seq);

CREATE TABLE counters (
    service_day TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    last        INTEGER NOT NULL,
    PRIMARY KEY (service_day, prefix)
);

CREATE TABLE visits (
    id             TEXT PRIMARY KEY,
    stop_id        TEXT NOT NULL,
    stop_name      TEXT NOT NULL,
    service_day    TEXT NOT NULL,
    opened_at      REAL NOT NULL,
    opened_by      TEXT NOT NULL,            -- gps | crew
    closed_at      REAL,
    closed_by      TEXT,
    planned_arrive REAL,
    planned_depart REAL,
    services       TEXT NOT NULL,            -- JSON list of service prefixes offered here
    theme          TEXT,
    adhoc          INTEGER NOT NULL DEFAULT 0,
    closing        INTEGER NOT NULL DEFAULT 0 -- departure asked for, decisions pending
);

CREATE TABLE tickets (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL,
    prefix           TEXT NOT NULL,
    service_day      TEXT NOT NULL,
    visit_id         TEXT NOT NULL REFERENCES visits(id),
    item             TEXT,
    priority         INTEGER NOT NULL DEFAULT 0,
    appointment_id   TEXT,
    transferred_from TEXT REFERENCES tickets(id),
    order_key        INTEGER NOT NULL,
    issued_at        REAL NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'serving', 'served', 'no_show',
                                         'transferred', 'cancelled', 'released', 'rebooked')),
    calls            INTEGER NOT NULL DEFAULT 0,
    called_at        REAL,
    window           INTEGER,
    crew             TEXT,
    started_at       REAL,
    ended_at         REAL,
    printed          INTEGER NOT NULL DEFAULT 0,  -- times the ticket was printed (reprints are copies)
    pages_scanned    INTEGER NOT NULL DEFAULT 0,  -- counted by the devices while it is served
    pages_printed    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (service_day, number)
);
CREATE INDEX tickets_state ON tickets(state, prefix, order_key);
CREATE INDEX tickets_visit ON tickets(visit_id);

CREATE TABLE windows (
    number     INTEGER PRIMARY KEY,
    crew       TEXT,
    skills     TEXT NOT NULL,                -- JSON list of service prefixes
    open       INTEGER NOT NULL DEFAULT 0,
    paused     INTEGER NOT NULL DEFAULT 0,
    normal_run INTEGER NOT NULL DEFAULT 0,   -- normal tickets called since the last priority one
    opened_at  REAL
);

CREATE TABLE records (
    ticket_id     TEXT PRIMARY KEY REFERENCES tickets(id),
    prefix        TEXT NOT NULL,
    item          TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    window        INTEGER,
    crew          TEXT,
    wait_s        REAL NOT NULL,
    service_s     REAL NOT NULL,
    pages_scanned INTEGER NOT NULL DEFAULT 0,
    pages_printed INTEGER NOT NULL DEFAULT 0,
    ems_no        TEXT,
    ts            REAL NOT NULL,
    event_seq     INTEGER NOT NULL             -- outbox seq of its ticket.served event
);
CREATE INDEX records_prefix ON records(prefix, ts);

CREATE TABLE ratings (
    ticket_id TEXT PRIMARY KEY REFERENCES tickets(id),
    level     INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    reasons   TEXT NOT NULL,
    ts        REAL NOT NULL
);

CREATE TABLE suggestions (
    id       TEXT PRIMARY KEY,
    topics   TEXT NOT NULL,
    visit_id TEXT,
    ts       REAL NOT NULL
);

CREATE TABLE appointments (
    id            TEXT PRIMARY KEY,
    code          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    stop          TEXT,
    slot_start    REAL NOT NULL,
    slot_end      REAL NOT NULL,
    name_masked   TEXT NOT NULL DEFAULT '',
    phone_last4   TEXT NOT NULL DEFAULT '',
    needs         TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,             -- hq | rebooked
    from_ticket   TEXT,
    ticket_id     TEXT,
    checked_in_at REAL
);
CREATE INDEX appointments_code ON appointments(code);

-- Versioned documents pushed by headquarters (catalog, schedule, appointments).
CREATE TABLE documents (
    kind       TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    applied_at REAL NOT NULL
);

-- Captured documents (PDF files under data_dir), kept until headquarters acknowledged the record
-- of their ticket and the retention passed.
CREATE TABLE scans (
    id         TEXT PRIMARY KEY,
    ticket_id  TEXT REFERENCES tickets(id),
    path       TEXT NOT NULL,
    pages      INTEGER NOT NULL,
    mode       TEXT NOT NULL,
    created_at REAL NOT NULL,
    purged_at  REAL
);
CREATE INDEX scans_ticket ON scans(ticket_id);
