{#
    One row per payment event that the provider delivered more than once (webhook replays): the
    delivery kept by staging (the earliest), how many extra deliveries were discarded and their
    payment ids. Nothing discarded by deduplication is lost from view.
#}
with

deliveries as (

    select * from {{ ref('base_marketplace__payments') }}
    where deleted_at_source is null

),

kept as (

    select * from {{ ref('stg_marketplace__payments') }}
    where has_replays

)

select
    kept.event_id,
    kept.order_id,
    kept.payment_id as kept_payment_id,
    kept.payment_status,
    kept.amount,
    kept.currency,
    kept.replay_count,
    string_agg(deliveries.payment_id, ',' order by deliveries.created_at, deliveries.payment_id)
        as discarded_payment_ids,
    min(deliveries.created_at) as first_replay_at,
    max(deliveries.created_at) as last_replay_at,
    kept.created_at as kept_created_at,
    max(deliveries.extracted_at) as last_replay_extracted_at,
    logical_or(
        deliveries.amount != kept.amount or deliveries.payment_status != kept.payment_status
    ) as has_conflicting_replay
from kept
inner join deliveries
    on deliveries.event_key = coalesce(kept.event_id, concat('payment:', kept.payment_id))
    and deliveries.payment_id != kept.payment_id
group by
    kept.event_id,
    kept.order_id,
    kept.payment_id,
    kept.payment_status,
    kept.amount,
    kept.currency,
    kept.replay_count,
    kept.created_at
