-- Version 3: steps of the wall clock (a bus boots with the time of its last shutdown or 1970 and
-- chrony steps it once GPS or NTP answers; see ztc/wallclock.py). Every row the bus makes is marked
-- with the boot it was made in, so a step corrects exactly the rows made before it in this boot.
ALTER TABLE tickets ADD COLUMN boot TEXT;
ALTER TABLE visits ADD COLUMN boot TEXT;
ALTER TABLE records ADD COLUMN boot TEXT;
ALTER TABLE ratings ADD COLUMN boot TEXT;
ALTER TABLE suggestions ADD COLUMN boot TEXT;
ALTER TABLE scans ADD COLUMN boot TEXT;
ALTER TABLE crew_alerts ADD COLUMN boot TEXT;

CREATE TRIGGER tickets_boot AFTER INSERT ON tickets BEGIN
    UPDATE tickets SET boot = (SELECT value FROM meta WHERE key = 'boot') WHERE rowid = NEW.rowid; END;
CREATE TRIGGER visits_boot AFTER INSERT ON visits BEGIN
    UPDATE visits SET boot = (SELECT value FROM meta WHERE key = 'boot') WHERE rowid = NEW.rowid; END;
CREATE TRIGGER records_boot AFTER INSERT ON records BEGIN
    UPDATE records SET boot = (SELECT value FROM meta WHERE key = 'boot') WHERE rowid = NEW.rowid; END;
CREATE TRIGGER ratings_boot AFTER INSERT ON ratings BEGIN
    UPDATE ratings SET boot = (SELECT value FROM meta WHERE key = 'boot') WHERE rowid = NEW.rowid; END;
CREATE TRIGGER suggestions_boot AFTER INSERT ON suggestions BEGIN
    UPDATE suggestions SET boot = (SELECT value FROM meta WHERE key = 'boot') WHERE rowid = NEW.rowid; END;
CREATE TRIGGER scans_boot AFTER INSERT ON scans BEGIN
    UPDATE scans SET boot = (SELECT value FROM meta WHERE key = 'boot') WHERE rowid = NEW.rowid; END;
CREATE TRIGGER crew_alerts_boot AFTER INSERT ON crew_alerts BEGIN
    UPDATE crew_alerts SET boot = (SELECT value FROM meta WHERE key = 'boot') WHERE rowid = NEW.rowid; END;

CREATE TABLE clock_steps (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    boot        TEXT NOT NULL,
    uptime_s    REAL NOT NULL,   -- seconds since boot when it was seen (the kernel's boot clock)
    delta_s     REAL NOT NULL,   -- new wall clock minus old: > 0 forward, < 0 backwards
    wall_before REAL NOT NULL,   -- the old clock's reading at that moment
    wall_after  REAL NOT NULL,   -- the new clock's reading (the true time, as far as the bus knows)
    from_seq    INTEGER NOT NULL, -- outbox events from_seq..upto_seq were stamped by the old clock
    upto_seq    INTEGER NOT NULL,
    corrected   INTEGER NOT NULL  -- local rows whose times were moved by delta_s
);
