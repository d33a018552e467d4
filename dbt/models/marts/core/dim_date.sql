{#
    One row per calendar day (date_day) from var dim_date_start_date to var dim_date_end_date
    (defaults 2020-01-01 .. 2030-12-31, a fixed range well around the order dates, so the table does
    not change from one run to the next; assert_dim_date_covers_every_order_date checks it still
    covers the data). The range vars exist so unit tests can build a few days only.

    ISO week and ISO year are plain date arithmetic, like the week_start() macro: the project keeps
    EXTRACT(ISOWEEK / ISOYEAR) out of its SQL (reported unsupported on the emulator, see
    docs/emulator-sql-limits.md and test_sql_avoids_what_the_emulator_gets_wrong), and
    assert_dim_date_matches_bigquery_calendar checks the result against FORMAT_DATE. An ISO week belongs to the year of its Thursday, and is numbered
    from the week holding that year's first Thursday, so 2021-01-01 (a Friday) is in 2020-W53.

    Fiscal calendar: the fiscal year starts on the 1st of var fiscal_year_start_month (project
    default 2 = February) and is named by the calendar year in which it ends (FY2027 = 2026-02-01 ..
    2027-01-31); with 1 it is the calendar year.

    Holidays come from the holidays seed. A day can be a holiday in several countries: is_holiday_any
    says whether it is one anywhere, holiday_country_count in how many countries, and
    holiday_country_codes / holiday_names list them sorted by country code.
#}

{%- set fiscal_start = var('fiscal_year_start_month') | int -%}
{%- if fiscal_start < 1 or fiscal_start > 12 -%}
    {{ exceptions.raise_compiler_error('var fiscal_year_start_month must be 1..12, got ' ~ fiscal_start) }}
{%- endif %}

with

holidays as (

    select * from {{ ref('holidays') }}

),

days as (

    select date_day
    from unnest(generate_date_array(
        date '{{ var("dim_date_start_date", "2020-01-01") }}',
        date '{{ var("dim_date_end_date", "2030-12-31") }}'
    )) as date_day

),

holidays_per_day as (

    select
        holiday_date,
        count(*) as holiday_country_count,
        string_agg(country_code, ',' order by country_code) as holiday_country_codes,
        string_agg(concat(country_code, ': ', holiday_name), '; ' order by country_code) as holiday_names
    from holidays
    group by holiday_date

),

calendar as (

    select
        date_day,
        -- DAYOFWEEK: Sunday = 1 ... Saturday = 7; ISO: Monday = 1 ... Sunday = 7
        mod(extract(dayofweek from date_day) + 5, 7) + 1 as day_of_week,
        {{ week_start('date_day') }} as week_start_date,
        -- the Thursday of the ISO week decides its year
        date_add({{ week_start('date_day') }}, interval 3 day) as iso_week_thursday,
        {{ month_start('date_day') }} as month_start_date,
        extract(day from date_day) as day_of_month,
        extract(dayofyear from date_day) as day_of_year,
        extract(month from date_day) as calendar_month,
        extract(quarter from date_day) as calendar_quarter,
        extract(year from date_day) as calendar_year
    from days

),

fiscal as (

    select
        *,
        extract(year from iso_week_thursday) as iso_year,
        div(date_diff(iso_week_thursday, date(extract(year from iso_week_thursday), 1, 1), day), 7) + 1 as iso_week,
        calendar_year
        {%- if fiscal_start > 1 %} + if(calendar_month >= {{ fiscal_start }}, 1, 0){% endif %} as fiscal_year,
        mod(calendar_month - {{ fiscal_start }} + 12, 12) + 1 as fiscal_month
    from calendar

)

select
    fiscal.date_day,
    fiscal.day_of_week,
    case fiscal.day_of_week
        when 1 then 'Monday'
        when 2 then 'Tuesday'
        when 3 then 'Wednesday'
        when 4 then 'Thursday'
        when 5 then 'Friday'
        when 6 then 'Saturday'
        else 'Sunday'
    end as day_name,
    fiscal.day_of_week >= 6 as is_weekend,
    fiscal.day_of_month,
    fiscal.day_of_year,
    fiscal.week_start_date,
    fiscal.iso_year,
    fiscal.iso_week,
    concat(cast(fiscal.iso_year as string), '-W', lpad(cast(fiscal.iso_week as string), 2, '0')) as iso_year_week,
    fiscal.month_start_date,
    fiscal.calendar_month,
    fiscal.calendar_quarter,
    fiscal.calendar_year,
    fiscal.fiscal_year,
    -- the emulator turns DIV(x, y) into `x // y` unparenthesised (DIV(m - 1, 3) = m - (1 // 3) = m):
    -- a compound first argument must be wrapped in parentheses
    div((fiscal.fiscal_month - 1), 3) + 1 as fiscal_quarter,
    fiscal.fiscal_month,
    date(fiscal.fiscal_year{% if fiscal_start > 1 %} - 1{% endif %}, {{ fiscal_start }}, 1) as fiscal_year_start_date,
    holidays_per_day.holiday_date is not null as is_holiday_any,
    coalesce(holidays_per_day.holiday_country_count, 0) as holiday_country_count,
    holidays_per_day.holiday_country_codes,
    holidays_per_day.holiday_names
from fiscal
left join holidays_per_day
    on holidays_per_day.holiday_date = fiscal.date_day
