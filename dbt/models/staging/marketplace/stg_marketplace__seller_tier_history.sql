with

source as (

    select
        id,
        user_id,
        tier,
        effective_from,
        effective_to,
        is_current,
        change_reason,
        created_at,
        _airbyte_extracted_at
    from {{ source('marketplace', 'seller_tier_history') }}

),

renamed as (

    select
        cast(id as int64) as tier_history_id,
        cast(user_id as string) as seller_id,
        lower({{ null_if_sentinel('tier') }}) as seller_tier,
        cast(effective_from as timestamp) as effective_from,
        cast(effective_to as timestamp) as effective_to,
        coalesce(is_current, false) as is_current,
        lower({{ null_if_sentinel('change_reason') }}) as change_reason,
        cast(created_at as timestamp) as created_at,
        _airbyte_extracted_at as extracted_at
    from source

)

{{ deduplicate('renamed', 'tier_history_id', 'extracted_at desc') }}
