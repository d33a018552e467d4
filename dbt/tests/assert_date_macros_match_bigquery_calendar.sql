{#
    week_start, month_start and months_between on known dates, written as literals on purpose: the
    emulator's DATE_TRUNC(WEEK(MONDAY)) is wrong exactly for literals. Returns the dates computed wrongly.
#}
with cases as (

    select date '2024-03-13' as d, date '2024-03-11' as monday, date '2024-03-01' as first_of_month union all
    select date '2024-03-17', date '2024-03-11', date '2024-03-01' union all  -- Sunday belongs to the week before
    select date '2024-03-18', date '2024-03-18', date '2024-03-01' union all  -- Monday is its own week start
    select date '2024-01-01', date '2024-01-01', date '2024-01-01' union all
    select date '2023-01-01', date '2022-12-26', date '2023-01-01' union all  -- week across a year boundary
    select date '2024-02-29', date '2024-02-26', date '2024-02-01'

)

select *
from cases
where {{ week_start('d') }} != monday
   or {{ month_start('d') }} != first_of_month
   or {{ months_between("date '2023-11-15'", 'd') }}
      != (extract(year from d) - 2023) * 12 + extract(month from d) - 11
