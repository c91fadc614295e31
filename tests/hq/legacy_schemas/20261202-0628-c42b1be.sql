-- The HQ database (SQLite) that ztc made at commit c42b1be (2026-12-02 06:28 UTC), before numbered
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
CREATE TABLE clock_steps (
        bus TEXT NOT NULL, epoch TEXT NOT NULL, step_seq BIGINT NOT NULL,
        from_seq BIGINT NOT NULL, upto_seq BIGINT NOT NULL, delta_s DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (bus, epoch, step_seq));
CREATE TABLE case_contacts (
        ticket_id TEXT PRIMARY KEY, bus TEXT NOT NULL, phone TEXT NOT NULL, consent TEXT NOT NULL,
        source TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL, purge_after DOUBLE PRECISION);
CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY, at DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL, client TEXT NOT NULL,
        kind TEXT NOT NULL, target TEXT NOT NULL, before TEXT, after TEXT);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log rows cannot be changed'); END;
CREATE TRIGGER audit_log_keep BEFORE DELETE ON audit_log
        WHEN old.at > CAST(strftime('%s', 'now') AS REAL) - 180 * 86400
        BEGIN SELECT RAISE(ABORT, 'audit log rows are kept 180 days'); END;
CREATE TABLE phone_ratings (
        id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, bus TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL,
        level BIGINT, reasons TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX phone_ratings_ticket ON phone_ratings(ticket_id, ts);
CREATE TABLE rating_cases (
        ticket_id TEXT PRIMARY KEY, bus TEXT NOT NULL, opened_at DOUBLE PRECISION NOT NULL,
        rated_at DOUBLE PRECISION NOT NULL, level BIGINT NOT NULL, data TEXT NOT NULL,
        status TEXT NOT NULL, handler TEXT, callback_wanted BIGINT NOT NULL DEFAULT 0,
        callback_due DOUBLE PRECISION NOT NULL, deadline DOUBLE PRECISION NOT NULL,
        justified BIGINT, reason_class TEXT, acted_by TEXT, resolution TEXT,
        closed_at DOUBLE PRECISION, escalated_at DOUBLE PRECISION);
CREATE TABLE case_steps (
        id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, n BIGINT NOT NULL, step TEXT NOT NULL, actor TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL, note TEXT NOT NULL, extra TEXT, UNIQUE (ticket_id, n));
CREATE TABLE case_evidence (
        id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, name TEXT NOT NULL, media_type TEXT NOT NULL,
        body TEXT NOT NULL, size BIGINT NOT NULL, actor TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);
CREATE TABLE users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        disabled BIGINT NOT NULL DEFAULT 0);
CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL);
CREATE TABLE login_throttle (
        name TEXT NOT NULL, client TEXT NOT NULL, failures BIGINT NOT NULL,
        locked_until DOUBLE PRECISION, last_failure DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (name, client));
CREATE TABLE documents (
        kind TEXT NOT NULL, bus TEXT NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL,
        published_at DOUBLE PRECISION NOT NULL, published_by TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, bus, version));
CREATE TABLE commands (
        id TEXT PRIMARY KEY, bus TEXT NOT NULL, body TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        created_by TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0);
CREATE TABLE quarantine (
        bus TEXT NOT NULL, key TEXT NOT NULL, topic TEXT NOT NULL, epoch TEXT, seq BIGINT, event_id TEXT,
        type TEXT, reason TEXT NOT NULL, raw BLOB NOT NULL, raw_bytes BIGINT NOT NULL,
        received_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (bus, key));
CREATE INDEX quarantine_bus_topic ON quarantine(bus, topic, received_at);
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
CREATE TABLE bookings (
        id TEXT PRIMARY KEY, code TEXT NOT NULL, bus TEXT NOT NULL, kind TEXT NOT NULL, day TEXT NOT NULL,
        slot_start DOUBLE PRECISION NOT NULL, slot_end DOUBLE PRECISION NOT NULL, stop TEXT NOT NULL,
        place TEXT NOT NULL, service TEXT NOT NULL, item TEXT NOT NULL, name TEXT NOT NULL, phone TEXT NOT NULL,
        address TEXT NOT NULL, lat DOUBLE PRECISION, lon DOUBLE PRECISION, need TEXT NOT NULL, note TEXT NOT NULL,
        status TEXT NOT NULL, cancel_reason TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, created_by TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL, updated_by TEXT NOT NULL);
CREATE INDEX bookings_bus_day ON bookings(bus, day);
CREATE INDEX bookings_slot ON bookings(bus, stop, slot_start);
