-- Version 2: crew accounts and crew alerts for the crew console. Only argon2 hashes of PINs are stored; failures
-- and lockouts live here too, so every kiosk process sees the same lockout.
CREATE TABLE crew (
    number       TEXT PRIMARY KEY,
    pin_hash     TEXT,                       -- NULL: an unknown number that was tried (counts failures)
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    updated_at   REAL NOT NULL
);

-- Alerts from one kiosk role to the crew console (a ticket that did not print), shared through the
-- database like everything else between processes.
CREATE TABLE crew_alerts (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    number       TEXT NOT NULL,
    ticket_id    TEXT,
    detail       TEXT NOT NULL,
    ts           REAL NOT NULL,
    dismissed_at REAL
);
CREATE INDEX crew_alerts_open ON crew_alerts(dismissed_at, ts);
