{#
    week_start, month_start and months_between on known dates, written as literals on purpose: the
    emulator's DATE_TRUNC(WEEK(MONDAY)) is wrong exactly for literals. Every expected value is a
    literal worked out on a calendar (months_between is counted from 2023-11-15: Nov 2023 -> Mar 2024
    is 4 months, -> Jan 2023 is -10), never the macro's own arithmetic. Returns the dates computed
    wrongly.
#}
with cases as (

    select date '2024-03-13' as d, date '2024-03-11' as monday, date '2024-03-01' as first_of_month, 4 as months_from_2023_11 union all
    select date '2024-03-17', date '2024-03-11', date '2024-03-01', 4 union all  -- Sunday belongs to the week before
    select date '2024-03-18', date '2024-03-18', date '2024-03-01', 4 union all  -- Monday is its own week start
    select date '2024-01-01', date '2024-01-01', date '2024-01-01', 2 union all  -- months across a year boundary
    select date '2023-01-01', date '2022-12-26', date '2023-01-01', -10 union all  -- week across a year boundary; earlier month
    select date '2024-02-29', date '2024-02-26', date '2024-02-01', 3

)

select *
from cases
where {{ week_start('d') }} != monday
   or {{ month_start('d') }} != first_of_month
   or {{ months_between("date '2023-11-15'", 'd') }} != months_from_2023_11
