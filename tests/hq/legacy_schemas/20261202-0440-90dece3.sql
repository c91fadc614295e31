-- The HQ database (SQLite) that ztc made at commit 90dece3 (2026-12-02 04:40 UTC), before numbered
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
CREATE INDEX events_type_ts ON events(type, ts);
CREATE INDEX events_ticket ON events(json_extract(data, '$.ticket_id'));
CREATE INDEX positions_bus_ts ON positions(bus, ts);
CREATE TABLE users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE login_failures (
        name TEXT PRIMARY KEY, failures BIGINT NOT NULL, locked_until DOUBLE PRECISION);
CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL);
CREATE TABLE documents (
        kind TEXT NOT NULL, bus TEXT NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL,
        published_at DOUBLE PRECISION NOT NULL, published_by TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, bus, version));
CREATE TABLE commands (
        id TEXT PRIMARY KEY, bus TEXT NOT NULL, body TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        created_by TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0);
CREATE TABLE cases (
        event_id TEXT PRIMARY KEY, bus TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, level BIGINT NOT NULL,
        data TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open', assignee TEXT, deadline DOUBLE PRECISION NOT NULL,
        resolution TEXT, updated_at DOUBLE PRECISION, updated_by TEXT);
CREATE TABLE stops (
        id TEXT PRIMARY KEY, name_zh TEXT NOT NULL, name_en TEXT NOT NULL, village TEXT NOT NULL,
        lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL, radius_m DOUBLE PRECISION NOT NULL,
        liaison_name TEXT NOT NULL, liaison_phone TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE route_templates (
        id TEXT PRIMARY KEY, bus TEXT NOT NULL, weekday BIGINT NOT NULL, stop TEXT NOT NULL,
        arrive TEXT NOT NULL, depart TEXT NOT NULL, services TEXT NOT NULL, theme TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE route_exceptions (
        id TEXT PRIMARY KEY, bus TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL,
        template_id TEXT, stop TEXT, arrive TEXT, depart TEXT, services TEXT, theme TEXT NOT NULL,
        description TEXT NOT NULL, reason TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, created_by TEXT NOT NULL);
CREATE TABLE route_publications (
        bus TEXT NOT NULL, version BIGINT NOT NULL, start_day TEXT NOT NULL, end_day TEXT NOT NULL,
        sessions TEXT NOT NULL, published_at DOUBLE PRECISION NOT NULL, published_by TEXT NOT NULL,
        PRIMARY KEY (bus, version));
CREATE INDEX route_templates_bus ON route_templates(bus, weekday);
CREATE INDEX route_exceptions_bus_day ON route_exceptions(bus, day);
