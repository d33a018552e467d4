with

source as (

    select
        sync_id,
        stream,
        sync_mode,
        rows_read,
        rows_written,
        cursor_before,
        cursor_after,
        started_at,
        finished_at,
        duration_s,
        status,
        error
    from {{ source('marketplace', 'el_sync_log') }}

),

renamed as (

    select
        cast(sync_id as int64) as sync_id,
        lower(trim(stream)) as stream,
        lower(trim(sync_mode)) as sync_mode,
        cast(rows_read as int64) as rows_read,
        cast(rows_written as int64) as rows_written,
        cursor_before,
        cursor_after,
        cast(started_at as timestamp) as started_at,
        cast(finished_at as timestamp) as finished_at,
        cast(duration_s as float64) as duration_seconds,
        lower(trim(status)) as sync_status,
        {{ null_if_sentinel('error') }} as error_message,
        concat(cast(sync_id as string), ':', lower(trim(stream))) as sync_stream_id
    from source

)

{{ deduplicate('renamed', 'sync_stream_id', 'started_at desc') }}
