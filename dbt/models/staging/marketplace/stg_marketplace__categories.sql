with

source as (

    select
        id,
        name,
        slug,
        parent_id,
        level,
        is_active,
        created_at,
        _airbyte_extracted_at
    from {{ source('marketplace', 'categories') }}

),

renamed as (

    select
        cast(id as int64) as category_id,
        {{ null_if_sentinel('name') }} as category_name,
        lower({{ null_if_sentinel('slug') }}) as category_slug,
        cast(parent_id as int64) as parent_category_id,
        cast(level as int64) as category_level,
        coalesce(is_active, true) as is_active,
        cast(created_at as timestamp) as created_at,
        _airbyte_extracted_at as extracted_at
    from source

)

{{ deduplicate('renamed', 'category_id', 'extracted_at desc') }}
