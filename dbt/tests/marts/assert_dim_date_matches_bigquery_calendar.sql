{#
    dim_date's ISO week, ISO year, day of week and day name are date arithmetic (the project keeps
    ISO week extraction out of its SQL for the emulator); here they are read from BigQuery's own ISO calendar instead, the
    FORMAT_DATE elements %V (ISO week), %G (ISO year), %u (ISO weekday, Monday = 1) and %A, which
    the emulator supports. Holiday flags are recounted from the holidays seed, and the fiscal fields
    restated from fiscal_year_start_date (the fiscal year ends in the calendar year it is named by). Returns the days where
    dim_date disagrees, plus known literal cases (2021-01-01 is in 2020-W53, 2026-12-31 in 2026-W53,
    2024-12-30 in 2025-W01) that are missing or wrong.
#}
with

days as (

    select * from {{ ref('dim_date') }}

),

holiday_counts as (

    select
        holiday_date,
        count(distinct country_code) as countries
    from {{ ref('holidays') }}
    group by holiday_date

),

known_weeks as (

    select date '2021-01-01' as date_day, 2020 as iso_year, 53 as iso_week union all
    select date '2021-01-04', 2021, 1 union all
    select date '2026-12-31', 2026, 53 union all
    select date '2027-01-03', 2026, 53 union all
    select date '2024-12-30', 2025, 1 union all
    select date '2024-01-01', 2024, 1

),

calendar_mismatches as (

    select
        days.date_day,
        'bigquery calendar' as failure
    from days
    left join holiday_counts
        on holiday_counts.holiday_date = days.date_day
    where days.iso_week != cast(format_date('%V', days.date_day) as int64)
       or days.iso_year != cast(format_date('%G', days.date_day) as int64)
       or days.day_of_week != cast(format_date('%u', days.date_day) as int64)
       or days.day_name != format_date('%A', days.date_day)
       or days.is_weekend != (format_date('%A', days.date_day) in ('Saturday', 'Sunday'))
       or days.calendar_quarter != extract(quarter from days.date_day)
       or days.holiday_country_count != coalesce(holiday_counts.countries, 0)
       or days.is_holiday_any != (holiday_counts.holiday_date is not null)
       -- the fiscal fields restated from the fiscal year's first day
       or days.date_day < days.fiscal_year_start_date
       or days.date_day >= date_add(days.fiscal_year_start_date, interval 1 year)
       or extract(month from days.fiscal_year_start_date) != {{ var('fiscal_year_start_month') }}
       or days.fiscal_month != date_diff(days.month_start_date, days.fiscal_year_start_date, month) + 1
       or days.fiscal_quarter != cast(ceil(days.fiscal_month / 3) as int64)
       or days.fiscal_year != extract(year from date_add(days.fiscal_year_start_date, interval 11 month))

),

literal_mismatches as (

    select
        known_weeks.date_day,
        'known iso week' as failure
    from known_weeks
    left join days
        on days.date_day = known_weeks.date_day
    where days.date_day is null
       or days.iso_year != known_weeks.iso_year
       or days.iso_week != known_weeks.iso_week

)

select * from calendar_mismatches
union all
select * from literal_mismatches
