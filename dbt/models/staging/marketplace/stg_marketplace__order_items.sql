with

source as (

    select
        id,
        order_id,
        product_id,
        seller_id,
        quantity,
        unit_price,
        total_price,
        currency,
        product_title,
        product_snapshot,
        created_at,
        _airbyte_extracted_at
    from {{ source('marketplace', 'order_items') }}

),

renamed as (

    select
        cast(id as string) as order_item_id,
        cast(order_id as string) as order_id,
        cast(product_id as string) as product_id,
        cast(seller_id as string) as seller_id,
        cast(quantity as int64) as quantity,
        cast(unit_price as {{ numeric_type() }}) as unit_price,
        cast(total_price as {{ numeric_type() }}) as total_price,
        upper({{ null_if_sentinel('currency') }}) as currency,
        {{ null_if_sentinel('product_title') }} as product_title,
        product_snapshot,
        cast(created_at as timestamp) as created_at,
        _airbyte_extracted_at as extracted_at
    from source

)

{{ deduplicate('renamed', 'order_item_id', 'extracted_at desc') }}
