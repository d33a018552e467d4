{#
    Calendar helpers written with plain date arithmetic. The BigQuery emulator gets
    DATE_TRUNC(d, WEEK(MONDAY)) wrong (returns the Sunday for literals), has no ISOWEEK, and returns a
    DATETIME from DATE_TRUNC(date, MONTH); these forms give the same DATE on both engines.
#}

{# Monday of the ISO week containing the DATE `date_expr`. DAYOFWEEK: Sunday = 1 ... Saturday = 7. #}
{% macro week_start(date_expr) -%}
    date_sub({{ date_expr }}, interval mod(extract(dayofweek from {{ date_expr }}) + 5, 7) day)
{%- endmacro %}

{# First day of the month containing the DATE `date_expr`, as a DATE. #}
{% macro month_start(date_expr) -%}
    date_sub({{ date_expr }}, interval extract(day from {{ date_expr }}) - 1 day)
{%- endmacro %}

{# Whole calendar months from month_start(`from_date`) to month_start(`to_date`). #}
{% macro months_between(from_date, to_date) -%}
    ((extract(year from {{ to_date }}) - extract(year from {{ from_date }})) * 12
        + extract(month from {{ to_date }}) - extract(month from {{ from_date }}))
{%- endmacro %}
