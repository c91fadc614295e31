-- Version 5: one owner per device (ARCHITECTURE.md). The role that drives a device is the only
-- process that opens it; it publishes the device's condition here, and everyone else (the agent's
-- health report, the crew console, `ztc devices status`) reads this row instead of opening the
-- device. Times: *_at is the wall clock, for people; boot + uptime_s (the kernel's boot clock, which
-- no step of the wall clock moves) decide whether a row is stale or a request has expired.
CREATE TABLE device_health (
    name       TEXT PRIMARY KEY,            -- "ticket_printer"
    state      TEXT NOT NULL,               -- ok | degraded | error | offline | absent (docs/protocol.md)
    detail     TEXT NOT NULL DEFAULT '',    -- "中文 / English"
    data       TEXT NOT NULL DEFAULT '{}',  -- the owner's whole status (JSON object)
    owner      TEXT NOT NULL DEFAULT '',    -- who publishes it ("resident pid 1234")
    updated_at REAL NOT NULL,
    boot       TEXT NOT NULL,
    uptime_s   REAL NOT NULL
);

-- What the crew (or `ztc devices test-print`) asks the owning role to print. Only the owner moves a
-- request from pending to printing, and only while it is fresh; a requester that stops waiting
-- moves it to expired, so it is never printed later.
CREATE TABLE print_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL CHECK (kind IN ('test', 'reprint', 'override')),
    ticket_id    TEXT,                      -- the ticket (reprint, override); NULL for a test print
    requested_by TEXT NOT NULL DEFAULT '',  -- crew number, or "cli"
    requested_at REAL NOT NULL,
    boot         TEXT NOT NULL,
    uptime_s     REAL NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'printing', 'done', 'failed', 'expired')),
    detail       TEXT NOT NULL DEFAULT '',  -- the reason when failed or expired; the number printed when done
    done_at      REAL
);
CREATE INDEX print_requests_open ON print_requests(state) WHERE state IN ('pending', 'printing');
