-- Delivery's durable job queue: prints, emails, thank-you messages and publishing, worked by
-- leases that expire (a crashed worker's job runs again), with backoff between attempts.
CREATE TABLE job (
    id              TEXT    PRIMARY KEY,                  -- UUID v7
    kind            TEXT    NOT NULL,                     -- print, email, thank_you, publish
    payload         TEXT    NOT NULL CHECK (json_valid(payload)),
    idempotency_key TEXT    UNIQUE,                       -- the same job asked for twice is one job
    priority        INTEGER NOT NULL DEFAULT 0,           -- higher runs first
    rank            INTEGER NOT NULL DEFAULT 0,           -- the operator's order within a priority
    state           TEXT    NOT NULL CHECK (state IN
                        ('queued', 'running', 'done', 'failed', 'dead', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL CHECK (max_attempts > 0),
    run_after       TEXT    NOT NULL,                     -- RFC 3339 UTC: not before (backoff)
    lease_owner     TEXT,                                 -- the worker running it
    lease_until     TEXT,                                 -- its lease ends (heartbeats extend it)
    last_error      TEXT,
    result          TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);
CREATE INDEX job_next ON job (state, priority DESC, rank, id);

-- Kinds of job the operator has paused ('*': all).
CREATE TABLE job_pause (
    kind            TEXT    PRIMARY KEY
);
