{#
    Deduplication of payment webhook replays loses nothing: every delivered event is kept once, and
    the kept rows' replay_count adds up to the discarded deliveries. Returns a row when the
    accounting does not balance.
#}
with delivered as (

    select
        count(*) as deliveries,
        count(distinct event_key) as events
    from {{ ref('base_marketplace__payments') }}

),

kept as (

    select
        count(*) as events,
        sum(replay_count) as replays
    from {{ ref('stg_marketplace__payments') }}

)

select *
from delivered
cross join kept
where delivered.events != kept.events
   or delivered.deliveries != kept.events + kept.replays
