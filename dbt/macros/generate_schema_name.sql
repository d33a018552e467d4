{#
    Datasets are named by the platform, not by dbt: a model's +schema (set in dbt_project.yml from
    BQ_STAGING_DATASET / BQ_MARTS_DATASET) is used verbatim, without dbt's default `<target>_` prefix.
    Models without a +schema land in the profile's default dataset.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
