-- Version 2: crew accounts for the crew console. Only argon2 hashes of PINs are stored; failures
-- and lockouts live here too, so every kiosk process sees the same lockout.
CREATE TABLE crew (
    number       TEXT PRIMARY KEY,
    pin_hash     TEXT,                       -- NULL: an unknown number that was tried (counts failures)
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    updated_at   REAL NOT NULL
);
