-- The event itself: exactly one row per event database.
CREATE TABLE event (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    uuid        TEXT    NOT NULL,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  TEXT    NOT NULL -- RFC 3339, UTC
);
