-- The HQ database (SQLite) that ztc made at commit 28473e7 (2026-11-26 06:44 UTC), before numbered
-- migrations: sqlite_master after HqStore and create_app (every module's CREATE ... IF NOT EXISTS), user_version 0.
CREATE TABLE buses (
        id TEXT PRIMARY KEY,
        online INTEGER NOT NULL DEFAULT 0,
        boot TEXT, sw TEXT,
        status_ts DOUBLE PRECISION, status_at DOUBLE PRECISION,
        last_seen DOUBLE PRECISION,
        position TEXT, queue TEXT, health TEXT);
CREATE TABLE positions (
        bus TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, source TEXT NOT NULL,
        lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL,
        speed DOUBLE PRECISION, track DOUBLE PRECISION, stop TEXT,
        PRIMARY KEY (bus, ts, source));
CREATE TABLE events (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, seq BIGINT NOT NULL,
        id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL,
        data TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (bus, epoch, seq));
CREATE TABLE epochs (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, upto BIGINT NOT NULL DEFAULT 0,
        first_seen DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (bus, epoch));
CREATE TABLE coverage (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL,
        PRIMARY KEY (bus, epoch, lo, hi));
CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE replies (
        bus TEXT NOT NULL, id TEXT NOT NULL, ok INTEGER NOT NULL, detail TEXT NOT NULL,
        received_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (bus, id));
