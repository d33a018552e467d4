-- Bookkeeping of the marketplace simulator (`marketplace-elt source seed|advance`). Lives in its own
-- schema: extract-load replicates `public` only, and the read-only replication role has no access
-- here. A source database that is not generated simply has empty tables in this schema.
CREATE SCHEMA IF NOT EXISTS meta;

-- The simulated clock and how the data was generated (one row). `advance` continues from sim_now.
CREATE TABLE IF NOT EXISTS meta.sim_state (
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seed               bigint NOT NULL,
    scale              double precision NOT NULL,
    sim_start          timestamptz NOT NULL,   -- first day of generated order history
    seeded_until       timestamptz NOT NULL,   -- the simulated "now" right after `seed`
    sim_now            timestamptz NOT NULL,   -- the simulated "now" after the last `advance`
    days_advanced      integer NOT NULL DEFAULT 0,
    source_timezone    text NOT NULL,          -- zone of the naive orders.confirmed_at values
    fault_rates        jsonb NOT NULL,
    generator_version  integer NOT NULL,
    max_event_timestamp timestamptz           -- greatest event_log.event_timestamp written so far
);
ALTER TABLE meta.sim_state ADD COLUMN IF NOT EXISTS max_event_timestamp timestamptz;

-- Exactly which rows carry which injected fault. row_id is the row's primary key as text.
CREATE TABLE IF NOT EXISTS meta.fault_manifest (
    fault        text NOT NULL,
    table_name   text NOT NULL,
    row_id       text NOT NULL,
    detail       text,
    injected_at  timestamptz NOT NULL,          -- simulated time the faulty value was written
    PRIMARY KEY (fault, table_name, row_id)
);

-- Planned lifecycle of every order that still has something ahead of it (a status change, a
-- payment, a refund, a dispute or a review). `advance` applies the events that fall into the
-- simulated days it covers and deletes plans that have nothing left.
CREATE TABLE IF NOT EXISTS meta.order_lifecycle (
    order_id           uuid PRIMARY KEY,
    order_number       text NOT NULL,
    buyer_id           uuid NOT NULL,
    currency           char(3) NOT NULL,       -- currency actually charged (even if orders.currency is faulty)
    charge_cents       bigint NOT NULL,        -- amount actually charged, hundredths
    payment_provider   text NOT NULL,
    zone_fault         boolean NOT NULL,       -- confirmed_at will be written in UTC instead of local time
    review_item_id     uuid,
    review_product_id  uuid,
    created_at         timestamptz NOT NULL,
    confirm_at         timestamptz,
    processing_at      timestamptz,
    shipped_at         timestamptz,
    delivered_at       timestamptz,
    cancelled_at       timestamptz,
    refunded_at        timestamptz,
    disputed_at        timestamptz,
    review_at          timestamptz,
    failed_payment_at  timestamptz,
    next_at            timestamptz NOT NULL    -- earliest planned event after sim_now
);
CREATE INDEX IF NOT EXISTS order_lifecycle_next_at_idx ON meta.order_lifecycle (next_at);

-- What each simulated day changed (rows per table and kind of change), for tests and debugging.
CREATE TABLE IF NOT EXISTS meta.change_log (
    day_index   integer NOT NULL,
    sim_day     timestamptz NOT NULL,
    table_name  text NOT NULL,
    change      text NOT NULL,
    row_count   integer NOT NULL,
    PRIMARY KEY (day_index, table_name, change)
);
