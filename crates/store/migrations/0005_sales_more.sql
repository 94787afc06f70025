-- Sales, second part: discounts and coupon codes, partial payments (several payment rows on
-- an order), and selling from several booths that sync through a shared PostgreSQL.

-- Coupon codes of the event. `used` counts orders that applied the code on this booth.
CREATE TABLE sales_coupon (
    code            TEXT    PRIMARY KEY,                  -- upper case
    discount        TEXT    NOT NULL CHECK (json_valid(discount)),  -- {"percent_bp":..} or {"amount_minor":..}
    max_uses        INTEGER CHECK (max_uses IS NULL OR max_uses >= 0),
    valid_until     TEXT,                                 -- RFC 3339, UTC
    used            INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0)
);

-- Which booth placed an order (orders of other booths arrive by sync) and its discount.
ALTER TABLE sales_order ADD COLUMN booth TEXT NOT NULL DEFAULT '';
ALTER TABLE sales_order ADD COLUMN discount_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sales_line ADD COLUMN discount_minor INTEGER NOT NULL DEFAULT 0;
-- Cash handed back on a payment.
ALTER TABLE sales_payment ADD COLUMN change_minor INTEGER NOT NULL DEFAULT 0;

-- This booth's share of a limited item when booths sell apart: it sells at most `units`,
-- so booths that are offline can never sell more than the stock between them.
CREATE TABLE sales_quota (
    item_id         TEXT    PRIMARY KEY REFERENCES sales_item (id),
    units           INTEGER NOT NULL CHECK (units >= 0),
    sold            INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0)
);

-- The booth's name and the sync's cursors (last event pushed, last shared event, catalogue
-- and quota versions pulled).
CREATE TABLE sales_setting (
    key             TEXT    PRIMARY KEY,
    value           TEXT    NOT NULL
);

-- The link of an order's digital goods: an unguessable token (256 random bits) and when it
-- stops working. Kept by this booth only: it is not an event, not synced, not rebuilt.
CREATE TABLE sales_link (
    order_id        TEXT    PRIMARY KEY,
    token           TEXT    NOT NULL UNIQUE,
    expires_at      TEXT    NOT NULL                      -- RFC 3339, UTC
);
