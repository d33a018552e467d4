{#
    One row per payment event: provider webhook replays (same event_id, new payment id) are collapsed
    to the earliest delivery. Nothing is dropped silently: replay_count says how many extra deliveries
    were discarded, and mart_audit_payment_replays lists them.
#}
with

deliveries as (

    select * from {{ ref('base_marketplace__payments') }}
    where deleted_at_source is null

),

counted as (

    select
        *,
        count(*) over (partition by event_key) - 1 as replay_count,
        max(extracted_at) over (partition by event_key) as last_delivery_extracted_at
    from deliveries

),

earliest_delivery as (

    {{ deduplicate('counted', 'event_key', 'created_at asc, extracted_at asc, payment_id asc') }}

)

select
    payment_id,
    order_id,
    event_id,
    payment_provider,
    payment_provider_reference,
    payment_status,
    amount,
    platform_fee,
    seller_payout,
    currency,
    created_at,
    processed_at,
    event_at,
    replay_count,
    replay_count > 0 as has_replays,
    extracted_at,
    last_delivery_extracted_at
from earliest_delivery
