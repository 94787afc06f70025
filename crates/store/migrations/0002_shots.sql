-- Capture sessions (one press of the shutter: a single shot or a burst) and their shots.
CREATE TABLE capture_session (
    id            TEXT    PRIMARY KEY,              -- UUID v7
    started_at    TEXT    NOT NULL,                 -- RFC 3339, UTC
    kind          TEXT    NOT NULL CHECK (kind IN ('single', 'burst')),
    shots_planned INTEGER NOT NULL CHECK (shots_planned >= 1)
);

CREATE TABLE shot (
    id          TEXT    PRIMARY KEY,                -- UUID v7
    session_id  TEXT    NOT NULL REFERENCES capture_session (id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),  -- position in its session
    taken_at    TEXT    NOT NULL,                   -- RFC 3339, UTC
    source      TEXT    NOT NULL,                   -- e.g. "test camera", "/dev/video0"
    width       INTEGER NOT NULL CHECK (width > 0),
    height      INTEGER NOT NULL CHECK (height > 0),
    file        TEXT    NOT NULL,                   -- relative to the event folder
    sha256      TEXT    NOT NULL,
    bytes       INTEGER NOT NULL CHECK (bytes > 0),
    UNIQUE (session_id, seq)
);

CREATE INDEX shot_by_time ON shot (taken_at);
