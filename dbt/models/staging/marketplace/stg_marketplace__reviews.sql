with

source as (

    select
        id,
        product_id,
        order_item_id,
        reviewer_id,
        rating,
        title,
        body,
        is_verified_purchase,
        helpful_votes,
        status,
        moderated_at,
        created_at,
        updated_at,
        _airbyte_extracted_at
    from {{ source('marketplace', 'reviews') }}
    -- reviews the source hard-deleted (marked by extract-load) are gone
    where _ab_cdc_deleted_at is null

),

renamed as (

    select
        cast(id as string) as review_id,
        cast(product_id as string) as product_id,
        cast(order_item_id as string) as order_item_id,
        cast(reviewer_id as string) as reviewer_id,
        cast(rating as int64) as rating,
        {{ null_if_sentinel('title') }} as review_title,
        {{ null_if_sentinel('body') }} as review_body,
        coalesce(is_verified_purchase, false) as is_verified_purchase,
        coalesce(cast(helpful_votes as int64), 0) as helpful_votes,
        lower({{ null_if_sentinel('status') }}) as review_status,
        cast(moderated_at as timestamp) as moderated_at,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        coalesce(updated_at > _airbyte_extracted_at, false) as is_future_dated,
        _airbyte_extracted_at as extracted_at
    from source

)

{{ deduplicate('renamed', 'review_id', 'extracted_at desc, updated_at desc') }}
