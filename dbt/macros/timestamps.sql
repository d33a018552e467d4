{#
    A naive DATETIME written in the source database's wall-clock zone (var source_timezone, from
    SOURCE_TIMEZONE) as an absolute UTC TIMESTAMP. Daylight-saving gaps and overlaps follow BigQuery's
    TIMESTAMP(datetime, zone) rules.
#}
{% macro source_local_to_utc(datetime_expr) -%}
    timestamp({{ datetime_expr }}, '{{ var("source_timezone") }}')
{%- endmacro %}
