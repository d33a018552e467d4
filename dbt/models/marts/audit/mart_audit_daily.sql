{#
    One row per load date (UTC date of _airbyte_extracted_at) and stream: rows delivered, rows
    breaking the stream's rule (invalid_rule), error_rate = nb_invalid / nb_total, and how many rows
    broke each individual check (invalid_reason_counts). loader_rows_written is what el_sync_log says
    the loader wrote that day, for comparison (dedup streams keep only the latest version of a row,
    so nb_total can be lower).
#}
with

validated as (

    select * from {{ ref('int_loaded_rows__validated') }}

),

sync_log as (

    select * from {{ ref('stg_marketplace__el_sync_log') }}

),

daily as (

    select
        load_date,
        stream,
        count(*) as nb_total,
        -- explicit INT64: the emulator stores a COUNTIF/SUM of a CTAS as NUMERIC (BigQuery: INT64)
        cast(countif(is_invalid) as int64) as nb_invalid
    from validated
    group by load_date, stream

),

reason_counts as (

    select
        load_date,
        stream,
        reason,
        count(*) as nb_rows
    from validated
    cross join unnest(split(invalid_reasons, ';')) as reason
    where is_invalid
    group by load_date, stream, reason

),

reasons as (

    select
        load_date,
        stream,
        string_agg(concat(reason, '=', cast(nb_rows as string)), ', ' order by nb_rows desc, reason)
            as invalid_reason_counts
    from reason_counts
    group by load_date, stream

),

loader as (

    select
        date(coalesce(finished_at, started_at)) as load_date,
        stream,
        cast(sum(rows_written) as int64) as loader_rows_written,
        cast(countif(sync_status != 'succeeded') as int64) as failed_sync_count
    from sync_log
    group by 1, 2

)

select
    concat(cast(daily.load_date as string), '|', daily.stream) as audit_daily_id,
    daily.load_date,
    daily.stream,
    daily.nb_total,
    daily.nb_invalid,
    cast(round(safe_divide(daily.nb_invalid, daily.nb_total), 6) as float64) as error_rate,
    {{ audit_rule_case('daily.stream') }} as invalid_rule,
    reasons.invalid_reason_counts,
    loader.loader_rows_written,
    coalesce(loader.failed_sync_count, 0) as failed_sync_count
from daily
left join reasons
    on reasons.load_date = daily.load_date
    and reasons.stream = daily.stream
left join loader
    on loader.load_date = daily.load_date
    and loader.stream = daily.stream
