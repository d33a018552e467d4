with

source as (

    select
        id,
        email,
        username,
        user_type,
        first_name,
        last_name,
        country_code,
        seller_tier,
        seller_rating,
        created_at,
        updated_at,
        deleted_at,
        is_active,
        _airbyte_extracted_at
    from {{ source('marketplace', 'users') }}

),

renamed as (

    select
        cast(id as string) as user_id,
        lower({{ null_if_sentinel('email') }}) as email,
        {{ null_if_sentinel('username') }} as username,
        lower({{ null_if_sentinel('user_type') }}) as user_type,
        {{ null_if_sentinel('first_name') }} as first_name,
        {{ null_if_sentinel('last_name') }} as last_name,
        upper({{ null_if_sentinel('country_code') }}) as country_code,
        lower({{ null_if_sentinel('seller_tier') }}) as seller_tier,
        cast(seller_rating as {{ numeric_type() }}) as seller_rating,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        cast(deleted_at as timestamp) as deleted_at,
        coalesce(is_active, true) as is_active,
        deleted_at is not null as is_deleted,
        coalesce(updated_at > _airbyte_extracted_at, false) as is_future_dated,
        _airbyte_extracted_at as extracted_at
    from source

),

masked as (

    -- PII leaves staging only as salted hashes, the email's domain and whether it is an address:
    -- no model and no reader of the staging dataset needs the clear values (raw keeps them)
    select
        user_id,
        {{ sha256_hex('email') }} as email_sha256,
        regexp_extract(email, r'@(.+)$') as email_domain,
        coalesce(regexp_contains(email, r'^[^@\s]+@[^@\s]+$'), false) as is_email_valid,
        {{ sha256_hex('username') }} as username_sha256,
        user_type,
        {{ sha256_hex('first_name') }} as first_name_sha256,
        {{ sha256_hex('last_name') }} as last_name_sha256,
        country_code,
        seller_tier,
        seller_rating,
        created_at,
        updated_at,
        deleted_at,
        is_active,
        is_deleted,
        is_future_dated,
        extracted_at
    from renamed

)

{{ deduplicate('masked', 'user_id', 'extracted_at desc, updated_at desc') }}
