{#
    Deduplication of payment webhook replays loses nothing, checked against the raw payments table
    (the oracle: what extract-load delivered, read before any cleaning or window). Every delivered
    payment id must appear exactly once, either as the kept delivery of its event
    (stg_marketplace__payments) or in the discarded list of mart_audit_payment_replays, and nothing
    may appear that raw does not hold. replay_count (a window count in staging) must equal the number
    of discarded ids the replay mart lists for the event (a join). Returns one row per problem.
#}
with

raw_payment_ids as (

    select distinct cast(id as string) as payment_id
    from {{ source('marketplace', 'payments') }}
    -- rows the source hard-deleted are gone from staging by design (extract-load marked them)
    where _ab_cdc_deleted_at is null

),

kept as (

    select
        payment_id,
        replay_count
    from {{ ref('stg_marketplace__payments') }}

),

replays as (

    select * from {{ ref('mart_audit_payment_replays') }}

),

discarded as (

    select discarded_payment_id as payment_id
    from replays
    cross join unnest(split(replays.discarded_payment_ids, ',')) as discarded_payment_id

),

accounted as (

    select payment_id, count(*) as times_accounted
    from (
        select payment_id from kept
        union all
        select payment_id from discarded
    ) as kept_or_discarded
    group by payment_id

),

id_problems as (

    select
        case
            when accounted.payment_id is null then 'delivered_but_neither_kept_nor_discarded'
            when raw_payment_ids.payment_id is null then 'kept_or_discarded_but_not_delivered'
            else 'accounted_more_than_once'
        end as problem,
        coalesce(raw_payment_ids.payment_id, accounted.payment_id) as payment_id,
        accounted.times_accounted,
        cast(null as int64) as replay_count,
        cast(null as int64) as discarded_listed
    from raw_payment_ids
    full outer join accounted
        on accounted.payment_id = raw_payment_ids.payment_id
    where accounted.payment_id is null
        or raw_payment_ids.payment_id is null
        or accounted.times_accounted != 1

),

replay_count_problems as (

    select
        'replay_count_disagrees_with_discarded_list' as problem,
        kept.payment_id,
        cast(null as int64) as times_accounted,
        kept.replay_count,
        coalesce(array_length(split(replays.discarded_payment_ids, ',')), 0) as discarded_listed
    from kept
    left join replays
        on replays.kept_payment_id = kept.payment_id
    where kept.replay_count != coalesce(array_length(split(replays.discarded_payment_ids, ',')), 0)

)

select * from id_problems
union all
select * from replay_count_problems
