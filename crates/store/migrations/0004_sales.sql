-- Sales: the catalogue, and orders kept as an append-only log of events (the source of
-- truth) with projections for reading (orders, lines, payments, stock sold), written in the
-- same transaction as the event. Money is in integer minor units of an ISO 4217 currency.
CREATE TABLE sales_item (
    id              TEXT    PRIMARY KEY,                  -- UUID v7
    sku             TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (json_valid(kind)),  -- print, download, bundle, ...
    price_minor     INTEGER NOT NULL CHECK (price_minor >= 0),
    currency        TEXT    NOT NULL CHECK (length(currency) = 3),
    tax_bp          INTEGER NOT NULL DEFAULT 0 CHECK (tax_bp >= 0),  -- basis points
    tax_inclusive   INTEGER NOT NULL DEFAULT 1,
    stock           INTEGER CHECK (stock IS NULL OR stock >= 0),     -- limited: units on offer
    active          INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE sales_event (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,    -- order of writing on this booth
    id              TEXT    NOT NULL UNIQUE,              -- UUID v7 (time-ordered)
    order_id        TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    body            TEXT    NOT NULL CHECK (json_valid(body)),
    idempotency_key TEXT    UNIQUE,                       -- a retried command finds its event
    booth           TEXT    NOT NULL,
    at              TEXT    NOT NULL                      -- RFC 3339, UTC
);
CREATE INDEX sales_event_order ON sales_event (order_id);

CREATE TABLE sales_order (
    id              TEXT    PRIMARY KEY,
    customer        TEXT    NOT NULL CHECK (json_valid(customer)),
    currency        TEXT    NOT NULL,
    total_minor     INTEGER NOT NULL CHECK (total_minor >= 0),
    tax_minor       INTEGER NOT NULL CHECK (tax_minor >= 0),
    paid_minor      INTEGER NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL,                     -- open, paid
    created_at      TEXT    NOT NULL
);

CREATE TABLE sales_line (
    order_id        TEXT    NOT NULL REFERENCES sales_order (id),
    line            INTEGER NOT NULL,
    item_id         TEXT    NOT NULL REFERENCES sales_item (id),
    qty             INTEGER NOT NULL CHECK (qty > 0),
    unit_minor      INTEGER NOT NULL,
    total_minor     INTEGER NOT NULL,
    PRIMARY KEY (order_id, line)
);

CREATE TABLE sales_order_shot (
    order_id        TEXT    NOT NULL REFERENCES sales_order (id),
    shot_id         TEXT    NOT NULL,
    PRIMARY KEY (order_id, shot_id)
);

CREATE TABLE sales_payment (
    id              TEXT    PRIMARY KEY,
    order_id        TEXT    NOT NULL REFERENCES sales_order (id),
    method          TEXT    NOT NULL CHECK (json_valid(method)),
    amount_minor    INTEGER NOT NULL,
    at              TEXT    NOT NULL
);
CREATE INDEX sales_payment_order ON sales_payment (order_id);

-- Units of a limited item sold (kept beside the catalogue so that the check and the
-- decrement are one statement: never below zero, one winner for the last unit).
CREATE TABLE sales_stock (
    item_id         TEXT    PRIMARY KEY REFERENCES sales_item (id),
    sold            INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0)
);
