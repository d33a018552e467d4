-- Marketplace source schema (PostgreSQL 15+). The contract the whole pipeline is built on:
-- column names and types here are the ones a production marketplace database has.
-- Idempotent: `marketplace-elt source init` (and `seed`) run it on every call; `seed --reset`
-- empties the tables (TRUNCATE) but keeps this schema, its grants and any local additions.
-- Conventions the data follows (the generator included) are recorded as column comments below.

CREATE TABLE IF NOT EXISTS users (
    id              uuid PRIMARY KEY,
    email           varchar(255) NOT NULL UNIQUE,
    username        varchar(100) NOT NULL,
    user_type       varchar(20)  NOT NULL CHECK (user_type IN ('buyer', 'seller', 'both')),
    first_name      varchar(100),
    last_name       varchar(100),
    country_code    char(2),
    seller_tier     varchar(20) CHECK (seller_tier IN ('bronze', 'silver', 'gold', 'platinum')),
    seller_rating   numeric(3, 2),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz,
    is_active       boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS categories (
    id          serial PRIMARY KEY,
    name        varchar(100) NOT NULL,
    slug        varchar(120) NOT NULL UNIQUE,
    parent_id   integer REFERENCES categories (id),
    level       integer NOT NULL,
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS products (
    id                  uuid PRIMARY KEY,
    seller_id           uuid NOT NULL REFERENCES users (id),
    category_id         integer NOT NULL REFERENCES categories (id),
    title               varchar(500) NOT NULL,
    description         text,
    price_amount        numeric(12, 2) NOT NULL,
    price_currency      char(3) NOT NULL,
    quantity_available  integer NOT NULL,
    status              varchar(20) NOT NULL
                        CHECK (status IN ('draft', 'active', 'paused', 'sold_out', 'deleted')),
    tags                text[],
    attributes          jsonb,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    published_at        timestamptz
);

CREATE TABLE IF NOT EXISTS orders (
    id                    uuid PRIMARY KEY,
    order_number          varchar(20) NOT NULL UNIQUE,
    buyer_id              uuid NOT NULL REFERENCES users (id),
    status                varchar(20) NOT NULL CHECK (status IN (
                              'pending', 'confirmed', 'processing', 'shipped',
                              'delivered', 'cancelled', 'refunded')),
    subtotal_amount       numeric(12, 2) NOT NULL,
    shipping_amount       numeric(12, 2) NOT NULL,
    tax_amount            numeric(12, 2) NOT NULL,
    discount_amount       numeric(12, 2) NOT NULL,
    total_amount          numeric(12, 2) NOT NULL,
    currency              char(3) NOT NULL,
    shipping_country      char(2),
    shipping_city         varchar(100),
    shipping_postal_code  varchar(20),
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    confirmed_at          timestamp without time zone,
    shipped_at            timestamptz,
    delivered_at          timestamptz
);

CREATE TABLE IF NOT EXISTS order_items (
    id                uuid PRIMARY KEY,
    order_id          uuid NOT NULL REFERENCES orders (id),
    product_id        uuid NOT NULL REFERENCES products (id),
    seller_id         uuid NOT NULL REFERENCES users (id),
    quantity          integer NOT NULL,
    unit_price        numeric(12, 2) NOT NULL,
    total_price       numeric(12, 2) NOT NULL,
    currency          char(3) NOT NULL,
    product_title     varchar(500),
    product_snapshot  jsonb,
    created_at        timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS payments (
    id                   uuid PRIMARY KEY,
    order_id             uuid NOT NULL REFERENCES orders (id),
    payment_provider     varchar(50) NOT NULL,
    payment_provider_id  varchar(100),
    amount               numeric(12, 2),
    platform_fee         numeric(12, 2),
    seller_payout        numeric(12, 2),
    currency             char(3) NOT NULL,
    status               varchar(20) NOT NULL CHECK (status IN (
                             'pending', 'processing', 'completed', 'failed', 'refunded', 'disputed')),
    created_at           timestamptz NOT NULL,
    processed_at         timestamptz,
    event_id             varchar(100) NOT NULL,
    event_timestamp      timestamptz NOT NULL
);

-- One row per parcel of an order: an order ships as one parcel, sometimes split into two.
CREATE TABLE IF NOT EXISTS shipments (
    id               uuid PRIMARY KEY,
    order_id         uuid NOT NULL REFERENCES orders (id),
    carrier          varchar(50) NOT NULL,
    tracking_number  varchar(64) NOT NULL,
    status           varchar(20) NOT NULL CHECK (status IN (
                         'label_created', 'in_transit', 'delivered', 'returned', 'lost')),
    shipped_at       timestamptz,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

-- reviews.product_id / reviewer_id carry no foreign key in the source (reviews are written by a
-- separate service), so orphans are possible and the pipeline must detect them.
CREATE TABLE IF NOT EXISTS reviews (
    id                    uuid PRIMARY KEY,
    product_id            uuid NOT NULL,
    order_item_id         uuid,
    reviewer_id           uuid NOT NULL,
    rating                integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title                 varchar(200),
    body                  text,
    is_verified_purchase  boolean NOT NULL DEFAULT false,
    helpful_votes         integer NOT NULL DEFAULT 0,
    status                varchar(20) NOT NULL
                          CHECK (status IN ('pending', 'approved', 'rejected', 'flagged')),
    moderated_at          timestamptz,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS seller_tier_history (
    id              serial PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id),
    tier            varchar(20) NOT NULL CHECK (tier IN ('bronze', 'silver', 'gold', 'platinum')),
    effective_from  timestamptz NOT NULL,
    effective_to    timestamptz,
    is_current      boolean NOT NULL,
    change_reason   varchar(100),
    created_at      timestamptz NOT NULL
);

-- entity_id has no foreign key: events may reference entities that never reached this database.
CREATE TABLE IF NOT EXISTS event_log (
    id               bigserial PRIMARY KEY,
    event_type       varchar(100) NOT NULL,
    entity_type      varchar(50) NOT NULL,
    entity_id        uuid,
    event_data       jsonb,
    event_timestamp  timestamptz NOT NULL,
    received_at      timestamptz NOT NULL,
    processed        boolean NOT NULL DEFAULT false
);

-- Cursor columns: incremental extraction filters on these, so they are indexed.
CREATE INDEX IF NOT EXISTS users_updated_at_idx ON users (updated_at);
CREATE INDEX IF NOT EXISTS products_updated_at_idx ON products (updated_at);
CREATE INDEX IF NOT EXISTS orders_updated_at_idx ON orders (updated_at);
CREATE INDEX IF NOT EXISTS reviews_updated_at_idx ON reviews (updated_at);
CREATE INDEX IF NOT EXISTS shipments_updated_at_idx ON shipments (updated_at);
CREATE INDEX IF NOT EXISTS shipments_order_id_idx ON shipments (order_id);
CREATE INDEX IF NOT EXISTS order_items_created_at_idx ON order_items (created_at);
CREATE INDEX IF NOT EXISTS payments_created_at_idx ON payments (created_at);
CREATE INDEX IF NOT EXISTS seller_tier_history_user_idx ON seller_tier_history (user_id, effective_from);

COMMENT ON COLUMN orders.confirmed_at IS
    'Naive wall-clock time in the source time zone (SOURCE_TIMEZONE, default UTC), '
    'as the order service writes it; convert with that zone, not as UTC.';
COMMENT ON COLUMN orders.total_amount IS
    'subtotal_amount + shipping_amount + tax_amount - discount_amount (all in orders.currency).';
COMMENT ON TABLE payments IS
    'One row per payment-provider webhook: charges, failed attempts, refunds (reversal rows with '
    'negative amounts) and disputes are separate rows. A replayed webhook is stored again under a '
    'new id with the same event_id. Rows are never updated.';
COMMENT ON COLUMN payments.amount IS
    'Amount of the webhook (negative for a refund); platform_fee + seller_payout = amount, both '
    'NULL when nothing was paid out (failed attempts, disputes).';
COMMENT ON TABLE seller_tier_history IS
    'Type-2 history of seller tiers: a change closes the current row (effective_to set, '
    'is_current false) and opens a new current row; users.seller_tier mirrors the current row.';
COMMENT ON COLUMN users.deleted_at IS 'Soft delete: the row stays, is_active becomes false.';
COMMENT ON TABLE event_log IS
    'Domain events in arrival order: id follows received_at; event_timestamp is when the event '
    'happened, so late arrivals make the two orders differ. Rows are never updated.';
COMMENT ON COLUMN reviews.product_id IS 'No foreign key: reviews come from a separate service.';
COMMENT ON COLUMN reviews.reviewer_id IS 'No foreign key: reviews come from a separate service.';
COMMENT ON COLUMN event_log.entity_id IS
    'Id of the users / products / orders row named by entity_type; no foreign key.';
COMMENT ON TABLE shipments IS
    'One row per parcel, written by the fulfilment service: created with the label when the order '
    'goes into processing, updated when the carrier picks it up (shipped_at), delivers it '
    '(delivered_at), or it comes back (returned) or is declared lost. carrier and tracking_number '
    'are copied from carrier feeds as received (casing and spacing vary).';
