{{ config(materialized='table') }}

{#
    Seller tier as a type-2 history: one row per seller and tier period, valid_from inclusive,
    valid_to exclusive (NULL = current).

    Built from seller_tier_history ordered by effective_from. The source's own effective_to and
    is_current are not trusted (they may overlap or leave gaps): each period ends where the next one
    starts, so periods never overlap and never leave a gap. Several rows starting at the same instant
    keep the latest recorded one, and consecutive rows with the same tier are merged into one period.
    One exception: the seller's last row, when the source set its effective_to (the seller left the
    tier programme and nothing succeeded it), ends at that effective_to. Such a seller has no current
    period (is_current false, left_programme_at set) and is never reopened as current. A later row
    (the seller re-joined) starts a new period as usual.
    Sellers with a tier in users but no history row get one open period from their signup
    (history_source = 'users').
#}
with

history as (

    select * from {{ ref('stg_marketplace__seller_tier_history') }}
    where seller_id is not null and seller_tier is not null and effective_from is not null

),

users as (

    select * from {{ ref('stg_marketplace__users') }}

),

one_row_per_instant as (

    {{ deduplicate('history', 'seller_id, effective_from', 'created_at desc, tier_history_id desc') }}

),

from_history as (

    select
        seller_id,
        seller_tier,
        effective_from,
        effective_to,
        change_reason,
        'seller_tier_history' as history_source
    from one_row_per_instant

),

from_users as (

    select
        users.user_id as seller_id,
        users.seller_tier,
        users.created_at as effective_from,
        cast(null as timestamp) as effective_to,
        'no tier history' as change_reason,
        'users' as history_source
    from users
    where users.seller_tier is not null
      and users.user_id not in (select distinct seller_id from history)

),

changes as (

    select
        *,
        lag(seller_tier) over (partition by seller_id order by effective_from) as previous_tier,
        -- the source's end of the seller's last row: set = the seller left the programme
        first_value(effective_to) over (
            partition by seller_id order by effective_from desc
            rows between unbounded preceding and unbounded following
        ) as last_effective_to,
        max(effective_from) over (partition by seller_id) as last_effective_from
    from (
        select * from from_history
        union all
        select * from from_users
    )

),

periods as (

    select
        seller_id,
        seller_tier,
        previous_tier,
        effective_from as valid_from,
        lead(effective_from) over (partition by seller_id order by effective_from) as next_valid_from,
        if(last_effective_to > last_effective_from, last_effective_to, null) as left_programme_at,
        change_reason,
        history_source
    from changes
    -- a row repeating the tier in effect does not start a new period
    where previous_tier is null or previous_tier != seller_tier

)

select
    concat(seller_id, ':', format_timestamp('%Y-%m-%dT%H:%M:%E6SZ', valid_from, 'UTC')) as seller_tier_period_id,
    seller_id,
    seller_tier,
    previous_tier,
    valid_from,
    valid_to,
    valid_to is null as is_current,
    if(next_valid_from is null, left_programme_at, null) as left_programme_at,
    change_reason,
    history_source
from (
    select
        *,
        -- the next period's start, else (last period) the exit recorded by the source, else open
        coalesce(next_valid_from, left_programme_at) as valid_to
    from periods
)
