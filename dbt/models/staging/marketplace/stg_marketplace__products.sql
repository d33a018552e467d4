with

source as (

    select
        id,
        seller_id,
        category_id,
        title,
        description,
        price_amount,
        price_currency,
        quantity_available,
        status,
        tags,
        attributes,
        created_at,
        updated_at,
        published_at,
        _airbyte_extracted_at
    from {{ source('marketplace', 'products') }}

),

renamed as (

    select
        cast(id as string) as product_id,
        cast(seller_id as string) as seller_id,
        cast(category_id as int64) as category_id,
        {{ null_if_sentinel('title') }} as product_title,
        {{ null_if_sentinel('description') }} as product_description,
        cast(price_amount as {{ numeric_type() }}) as price_amount,
        upper({{ null_if_sentinel('price_currency') }}) as price_currency,
        cast(quantity_available as int64) as quantity_available,
        lower({{ null_if_sentinel('status') }}) as product_status,
        -- text[] arrives as a JSON array; NULL and [] both become an empty array
        json_value_array(tags) as tags,
        attributes,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        cast(published_at as timestamp) as published_at,
        coalesce(updated_at > _airbyte_extracted_at, false) as is_future_dated,
        _airbyte_extracted_at as extracted_at
    from source

)

{{ deduplicate('renamed', 'product_id', 'extracted_at desc, updated_at desc') }}
