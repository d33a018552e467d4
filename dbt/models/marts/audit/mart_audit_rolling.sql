{#
    One row per stream and calendar day from the stream's first load date to the latest load date of
    any stream (days without loads included, with zero rows), with the 7-day rolling error rate:
    invalid rows / delivered rows over that day and the 6 days before it.
#}
with

daily as (

    select * from {{ ref('mart_audit_daily') }}

),

bounds as (

    select
        stream,
        min(load_date) as first_load_date,
        (select max(load_date) from daily) as last_load_date
    from daily
    group by stream

),

calendar as (

    select
        bounds.stream,
        load_date
    from bounds
    cross join unnest(generate_date_array(bounds.first_load_date, bounds.last_load_date)) as load_date

),

filled as (

    select
        calendar.load_date,
        calendar.stream,
        cast(coalesce(daily.nb_total, 0) as int64) as nb_total,
        cast(coalesce(daily.nb_invalid, 0) as int64) as nb_invalid
    from calendar
    left join daily
        on daily.load_date = calendar.load_date
        and daily.stream = calendar.stream

),

rolled as (

    select
        *,
        -- explicit INT64: the emulator stores a windowed SUM of a CTAS as NUMERIC (BigQuery: INT64)
        cast(sum(nb_total) over seven_days as int64) as rolling_7d_total,
        cast(sum(nb_invalid) over seven_days as int64) as rolling_7d_invalid
    from filled
    window seven_days as (partition by stream order by load_date rows between 6 preceding and current row)

)

select
    concat(cast(load_date as string), '|', stream) as audit_rolling_id,
    load_date,
    stream,
    nb_total,
    nb_invalid,
    cast(round(safe_divide(nb_invalid, nb_total), 6) as float64) as error_rate,
    rolling_7d_total,
    rolling_7d_invalid,
    -- ratio of the window's sums (not an average of the daily rates): a day weighs by its rows
    cast(round(safe_divide(rolling_7d_invalid, rolling_7d_total), 6) as float64) as rolling_7d_error_rate
from rolled
