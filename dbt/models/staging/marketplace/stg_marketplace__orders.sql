with

source as (

    select
        id,
        order_number,
        buyer_id,
        status,
        subtotal_amount,
        shipping_amount,
        tax_amount,
        discount_amount,
        total_amount,
        currency,
        shipping_country,
        shipping_city,
        shipping_postal_code,
        created_at,
        updated_at,
        confirmed_at,
        shipped_at,
        delivered_at,
        _airbyte_extracted_at
    from {{ source('marketplace', 'orders') }}

),

renamed as (

    select
        cast(id as string) as order_id,
        {{ null_if_sentinel('order_number') }} as order_number,
        cast(buyer_id as string) as buyer_id,
        lower({{ null_if_sentinel('status') }}) as order_status,
        cast(subtotal_amount as {{ numeric_type() }}) as subtotal_amount,
        cast(shipping_amount as {{ numeric_type() }}) as shipping_amount,
        cast(tax_amount as {{ numeric_type() }}) as tax_amount,
        cast(discount_amount as {{ numeric_type() }}) as discount_amount,
        cast(total_amount as {{ numeric_type() }}) as total_amount,
        upper({{ null_if_sentinel('currency') }}) as currency,
        upper({{ null_if_sentinel('shipping_country') }}) as shipping_country,
        {{ null_if_sentinel('shipping_city') }} as shipping_city,
        {{ null_if_sentinel('shipping_postal_code') }} as shipping_postal_code,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        -- the source stores confirmed_at as wall-clock time in its own zone (var source_timezone)
        cast(confirmed_at as datetime) as confirmed_at_local,
        {{ source_local_to_utc('cast(confirmed_at as datetime)') }} as confirmed_at,
        cast(shipped_at as timestamp) as shipped_at,
        cast(delivered_at as timestamp) as delivered_at,
        _airbyte_extracted_at as extracted_at
    from source

),

flagged as (

    select
        *,
        -- tax and discount are nullable in real sources: NULL means none (0) for the total rule, and
        -- the columns keep the NULL (the audit counts it); a NULL subtotal or shipping stays unknown
        subtotal_amount + shipping_amount + coalesce(tax_amount, 0) - coalesce(discount_amount, 0)
            as expected_total_amount,
        coalesce(updated_at > extracted_at, false) as is_future_dated
    from renamed

),

checked as (

    select
        *,
        -- the source knowingly contains orders whose total disagrees with its parts: flag, never fix
        coalesce(total_amount != expected_total_amount, true) as is_total_mismatch,
        -- confirmation normally follows creation within minutes to hours; far outside that window the
        -- naive value was most likely written in another zone (e.g. UTC wall-clock time)
        coalesce(
            confirmed_at < timestamp_sub(created_at, interval 1 hour)
            or confirmed_at > timestamp_add(created_at, interval 3 hour),
            false
        ) as is_confirmed_at_suspect
    from flagged

)

{{ deduplicate('checked', 'order_id', 'extracted_at desc, updated_at desc') }}
