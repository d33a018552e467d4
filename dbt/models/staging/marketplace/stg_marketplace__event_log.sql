with

source as (

    select
        id,
        event_type,
        entity_type,
        entity_id,
        event_data,
        event_timestamp,
        received_at,
        processed,
        _airbyte_extracted_at
    from {{ source('marketplace', 'event_log') }}

),

renamed as (

    select
        cast(id as int64) as event_id,
        lower({{ null_if_sentinel('event_type') }}) as event_type,
        lower({{ null_if_sentinel('entity_type') }}) as entity_type,
        cast(entity_id as string) as entity_id,
        event_data,
        cast(event_timestamp as timestamp) as event_at,
        cast(received_at as timestamp) as received_at,
        coalesce(processed, false) as is_processed,
        _airbyte_extracted_at as extracted_at
    from source

)

{{ deduplicate('renamed', 'event_id', 'extracted_at desc') }}
