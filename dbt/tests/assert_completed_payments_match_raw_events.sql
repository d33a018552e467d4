{#
    Per order, the completed (captured) payments left after deduplication equal the distinct
    provider events whose payment is completed in the raw payments table (latest delivery of each
    payment id). The oracle counts distinct
    events on raw instead of keeping one row per event with a window: a replay that survived
    deduplication shows up as an extra completed payment, two different events wrongly collapsed
    (e.g. payments without an event id, each its own event) as a missing one. Returns the orders
    whose counts differ.
#}
with

raw_latest_versions as (

    -- a payment row changed in place (e.g. a charge later marked refunded) is delivered again with
    -- the same id: its latest delivery is what it is now
    select *
    from {{ source('marketplace', 'payments') }}
    where true
    qualify row_number() over (partition by id order by _airbyte_extracted_at desc) = 1

),

raw_completed_events as (

    select
        cast(order_id as string) as order_id,
        count(distinct coalesce(
            {{ null_if_sentinel('event_id') }}, concat('payment:', cast(id as string))
        )) as completed_events
    from raw_latest_versions
    where lower({{ null_if_sentinel('status') }}) = 'completed'
        -- a payment the source hard-deleted (marked by extract-load) captured nothing
        and _ab_cdc_deleted_at is null
    group by 1

),

staged_completed_payments as (

    select
        order_id,
        count(*) as completed_payments
    from {{ ref('stg_marketplace__payments') }}
    where payment_status = 'completed'
    group by order_id

)

select
    coalesce(raw_completed_events.order_id, staged_completed_payments.order_id) as order_id,
    raw_completed_events.completed_events,
    staged_completed_payments.completed_payments
from raw_completed_events
full outer join staged_completed_payments
    on staged_completed_payments.order_id = raw_completed_events.order_id
where coalesce(raw_completed_events.completed_events, 0) != coalesce(staged_completed_payments.completed_payments, 0)
