{#
    Every payment webhook row as loaded, replays included, typed and cleaned: one row per payment id,
    its latest extracted version (a row changed in place, e.g. a charge whose status became
    'refunded', may be delivered again; Airbyte's append mode stores it as a second record). The
    staging model stg_marketplace__payments deduplicates these by event_id; the replay audit mart
    reads this one.

    A row the source hard-deleted stays here with deleted_at_source set (and the extracted_at of
    the sync that saw the deletion), so incremental facts recompute its order; every model that
    reads this one for live payments leaves those rows out.
#}
with

source as (

    select
        id,
        order_id,
        payment_provider,
        payment_provider_id,
        amount,
        platform_fee,
        seller_payout,
        currency,
        status,
        created_at,
        processed_at,
        event_id,
        event_timestamp,
        _airbyte_extracted_at,
        _ab_cdc_deleted_at
    from {{ source('marketplace', 'payments') }}

),

renamed as (

    select
        cast(id as string) as payment_id,
        cast(order_id as string) as order_id,
        lower({{ null_if_sentinel('payment_provider') }}) as payment_provider,
        {{ null_if_sentinel('payment_provider_id') }} as payment_provider_reference,
        cast(amount as {{ numeric_type() }}) as amount,
        cast(platform_fee as {{ numeric_type() }}) as platform_fee,
        cast(seller_payout as {{ numeric_type() }}) as seller_payout,
        upper({{ null_if_sentinel('currency') }}) as currency,
        lower({{ null_if_sentinel('status') }}) as payment_status,
        cast(created_at as timestamp) as created_at,
        cast(processed_at as timestamp) as processed_at,
        {{ null_if_sentinel('event_id') }} as event_id,
        cast(event_timestamp as timestamp) as event_at,
        _airbyte_extracted_at as extracted_at,
        _ab_cdc_deleted_at as deleted_at_source
    from source

),

latest_version as (

    {{ deduplicate('renamed', 'payment_id', 'extracted_at desc') }}

)

select
    *,
    -- a payment row without an event id (NULL or a placeholder) is its own event
    coalesce(event_id, concat('payment:', payment_id)) as event_key
from latest_version
