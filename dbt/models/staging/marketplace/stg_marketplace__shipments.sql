with

source as (

    select
        id,
        order_id,
        carrier,
        tracking_number,
        status,
        shipped_at,
        delivered_at,
        created_at,
        updated_at,
        _airbyte_extracted_at
    from {{ source('marketplace', 'shipments') }}

),

renamed as (

    select
        cast(id as string) as shipment_id,
        cast(order_id as string) as order_id,
        -- carrier feeds spell the same carrier with other casing and stray spaces: 'ups ', ' FedEx'
        lower(regexp_replace({{ null_if_sentinel('carrier') }}, r'\s+', ' ')) as carrier,
        -- tracking numbers are issued in upper case without spaces; some feeds group them in fours
        upper(regexp_replace({{ null_if_sentinel('tracking_number') }}, r'\s', '')) as tracking_number,
        lower({{ null_if_sentinel('status') }}) as shipment_status,
        cast(shipped_at as timestamp) as shipped_at,
        cast(delivered_at as timestamp) as delivered_at,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        _airbyte_extracted_at as extracted_at
    from source

),

flagged as (

    select
        *,
        -- a delivery scan before the pickup scan is a carrier clock error: flagged, never corrected
        coalesce(delivered_at < shipped_at, false) as is_delivered_before_shipped,
        coalesce(updated_at > extracted_at, false) as is_future_dated
    from renamed

)

{{ deduplicate('flagged', 'shipment_id', 'extracted_at desc, updated_at desc') }}
