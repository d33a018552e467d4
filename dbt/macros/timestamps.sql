{#
    A naive DATETIME written in the source database's wall-clock zone (var source_timezone, from
    SOURCE_TIMEZONE) as an absolute UTC TIMESTAMP. Daylight-saving gaps and overlaps follow BigQuery's
    TIMESTAMP(datetime, zone) rules.
#}
{% macro source_local_to_utc(datetime_expr) -%}
    timestamp({{ datetime_expr }}, '{{ var("source_timezone") }}')
{%- endmacro %}

{#
    Generic test (use with severity warn) on a model holding a naive local time, its UTC conversion and
    a reference instant that precedes it (orders: confirmed_at_local, confirmed_at, created_at).
    It estimates, over the whole batch, the zone the naive values were really written in: the whole-
    hour UTC offset h that is the largest to leave (almost) no value before its reference, i.e. with
    at most `tolerance` of the rows earlier than the reference once read as UTC minus h hours.
    (Confirmations follow creation by minutes, so reading in a zone east of the true one moves them
    before creation, and the largest offset that does not is the true one, rounded down to the hour.)
    It returns one row, with a message naming the offset found and the setting to change, when that
    offset disagrees with SOURCE_TIMEZONE (var source_timezone) over the same rows; nothing when they
    agree or when fewer than `min_rows` rows have both values.
#}
{% test naive_timestamp_offset_matches_source_timezone(
    model, local_column, converted_column, reference_column, tolerance=0.05, min_rows=20
) %}
with

paired as (

    select
        timestamp_diff(timestamp({{ local_column }}, 'UTC'), {{ reference_column }}, minute) as minutes_after_reference,
        -- the configured zone's UTC offset at that instant, in minutes
        timestamp_diff(timestamp({{ local_column }}, 'UTC'), {{ converted_column }}, minute) as configured_offset_minutes
    from {{ model }}
    where {{ local_column }} is not null and {{ reference_column }} is not null

),

batch as (

    select
        count(*) as row_count,
        min(configured_offset_minutes) as configured_min_minutes,
        max(configured_offset_minutes) as configured_max_minutes
    from paired

),

scored as (

    select
        candidate_hours,
        countif(paired.minutes_after_reference < 60 * candidate_hours) as rows_before_reference
    from paired
    cross join unnest(generate_array(-14, 14)) as candidate_hours
    group by candidate_hours

),

estimated as (

    select max(scored.candidate_hours) as estimated_offset_hours
    from scored
    cross join batch
    where scored.rows_before_reference <= {{ tolerance }} * batch.row_count

)

select
    estimated.estimated_offset_hours,
    batch.configured_min_minutes,
    batch.configured_max_minutes,
    batch.row_count,
    concat(
        '{{ local_column }} looks written at UTC',
        if(estimated.estimated_offset_hours >= 0, '+', ''), cast(estimated.estimated_offset_hours as string),
        ' h (estimated over ', cast(batch.row_count as string), ' rows), but SOURCE_TIMEZONE=',
        '{{ var("source_timezone") }}', ' is UTC', if(batch.configured_min_minutes >= 0, '+', ''),
        cast(batch.configured_min_minutes / 60 as string), ' h: set SOURCE_TIMEZONE (dbt var source_timezone)',
        ' to the zone the source writes naive times in, e.g. UTC for offset 0 or America/New_York for -5/-4'
    ) as message
from estimated
cross join batch
where batch.row_count >= {{ min_rows }}
  and (
    estimated.estimated_offset_hours is null
    or not (
        batch.configured_min_minutes < 60 * estimated.estimated_offset_hours + 60
        and batch.configured_max_minutes >= 60 * estimated.estimated_offset_hours
    )
  )
{% endtest %}
