{#
    The run's context: data_interval_start, data_interval_end and run_id.

    Airflow passes it as environment variables (MARKETPLACE_DATA_INTERVAL_START,
    MARKETPLACE_DATA_INTERVAL_END, MARKETPLACE_RUN_ID), read here only while executing: a value that
    changes with every run must not reach dbt's parse, or each dbt task re-parses the whole project
    (`--vars` change, ~8 s per task) instead of reusing partial_parse.msgpack. Without those variables
    (a `dbt build` by hand, or any parse) the project var of the same name applies, so
    `--vars '{data_interval_start: ...}'` still works.
#}
{% macro run_var(name) -%}
    {%- set from_env = env_var('MARKETPLACE_' ~ name | upper, '') if execute else '' -%}
    {{- return(from_env if from_env else var(name, none)) -}}
{%- endmacro %}
