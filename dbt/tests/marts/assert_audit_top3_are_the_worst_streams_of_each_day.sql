{#
    mart_audit_top3 against an oracle that ranks without ROW_NUMBER: a stream's rank on a load date
    is 1 + the number of streams loaded that day that come before it under the documented order
    (higher error_rate, then more invalid rows, then the smaller stream name). The mart must hold
    exactly the streams whose rank is at most 3, with that rank: so min(3, streams loaded) rows per
    day, none missing, none extra. Returns the disagreeing (load_date, stream) pairs.
#}
with

daily as (

    select
        load_date,
        stream,
        error_rate,
        nb_invalid
    from {{ ref('mart_audit_daily') }}

),

expected_ranks as (

    select
        daily.load_date,
        daily.stream,
        1 + countif(
            others.error_rate > daily.error_rate
            or (others.error_rate = daily.error_rate and others.nb_invalid > daily.nb_invalid)
            or (others.error_rate = daily.error_rate and others.nb_invalid = daily.nb_invalid
                and others.stream < daily.stream)
        ) as expected_rank
    from daily
    inner join daily as others
        on others.load_date = daily.load_date
    group by daily.load_date, daily.stream

),

expected_top3 as (

    select * from expected_ranks
    where expected_rank <= 3

),

top3 as (

    select
        load_date,
        stream,
        error_rank
    from {{ ref('mart_audit_top3') }}

)

select
    coalesce(expected_top3.load_date, top3.load_date) as load_date,
    coalesce(expected_top3.stream, top3.stream) as stream,
    expected_top3.expected_rank,
    top3.error_rank
from expected_top3
full outer join top3
    on top3.load_date = expected_top3.load_date
    and top3.stream = expected_top3.stream
where expected_top3.stream is null
    or top3.stream is null
    or top3.error_rank != expected_top3.expected_rank
