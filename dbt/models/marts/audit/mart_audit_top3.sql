{#
    For each load date, the three streams with the highest error rate that day (ties: more invalid
    rows first, then stream name), ranked 1-3 with ROW_NUMBER. Fewer than three rows when fewer
    streams were loaded that day; streams without any invalid row can appear when fewer than three
    streams had errors.
#}
with

daily as (

    select * from {{ ref('mart_audit_daily') }}

),

ranked as (

    select
        load_date,
        stream,
        nb_total,
        nb_invalid,
        error_rate,
        invalid_reason_counts,
        row_number() over (
            partition by load_date
            order by error_rate desc, nb_invalid desc, stream
        ) as error_rank
    from daily

)

select
    concat(cast(load_date as string), '|', cast(error_rank as string)) as audit_top3_id,
    *
from ranked
where error_rank <= 3
