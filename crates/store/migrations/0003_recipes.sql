-- Edits: versioned JSON recipes per shot (the original is never changed; a strip template
-- takes the shot's whole session), and the renders made from them (derived files: the same
-- recipe renders to the same pixels, so they can be deleted and made again).
CREATE TABLE recipe (
    id          TEXT    PRIMARY KEY,                 -- UUID v7
    shot_id     TEXT    NOT NULL REFERENCES shot (id),
    revision    INTEGER NOT NULL CHECK (revision >= 1),  -- 1, 2, ... per shot
    created_at  TEXT    NOT NULL,                    -- RFC 3339, UTC
    body        TEXT    NOT NULL CHECK (json_valid(body)),
    UNIQUE (shot_id, revision)
);

CREATE TABLE render (
    recipe_id   TEXT    NOT NULL REFERENCES recipe (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('print', 'preview')),
    created_at  TEXT    NOT NULL,
    file        TEXT    NOT NULL,                    -- relative to the event folder
    sha256      TEXT    NOT NULL,
    bytes       INTEGER NOT NULL CHECK (bytes > 0),
    PRIMARY KEY (recipe_id, kind)
);
