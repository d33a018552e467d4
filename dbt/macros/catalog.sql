{#
    Catalog for `dbt docs generate` built from INFORMATION_SCHEMA.TABLES and COLUMNS only.

    dbt-bigquery's own catalog query reads `__TABLES__` and INFORMATION_SCHEMA.COLUMN_FIELD_PATHS,
    which the local BigQuery emulator does not have. These two views exist on both engines, so the
    same catalog works against the emulator and real BigQuery. What is lost: row counts, byte sizes,
    date-shard grouping and nested-field paths (a STRUCT column is listed once, with its full type).
    Only datasets/relations that dbt manages are queried (the `schemas` / `relations` arguments).
#}

{% macro bigquery__get_catalog(information_schema, schemas) -%}
    {%- if (schemas | length) == 0 -%}
        {{ return(run_query("select 1 as id limit 0")) }}
    {%- endif -%}
    {%- set query -%}
        {%- for schema in schemas %}
        {{ marketplace_catalog_for_dataset(information_schema, schema) }}
        {%- if not loop.last %} union all {% endif -%}
        {% endfor %}
    {%- endset -%}
    {{ return(run_query(query)) }}
{%- endmacro %}


{% macro bigquery__get_catalog_relations(information_schema, relations) -%}
    {%- if (relations | length) == 0 -%}
        {{ return(run_query("select 1 as id limit 0")) }}
    {%- endif -%}
    {%- set by_schema = {} -%}
    {%- for relation in relations -%}
        {%- do by_schema.setdefault(relation.schema, []).append(relation.identifier) -%}
    {%- endfor -%}
    {%- set query -%}
        {%- for schema, identifiers in by_schema.items() %}
        {{ marketplace_catalog_for_dataset(information_schema, schema, identifiers) }}
        {%- if not loop.last %} union all {% endif -%}
        {% endfor %}
    {%- endset -%}
    {{ return(run_query(query)) }}
{%- endmacro %}


{% macro marketplace_catalog_for_dataset(information_schema, schema, identifiers=none) -%}
    {%- set dataset = information_schema.database ~ '`.`' ~ schema -%}
    select
        tables.table_catalog as table_database,
        tables.table_schema as table_schema,
        tables.table_name as table_name,
        case
            when tables.table_type = 'VIEW' then 'view'
            when tables.table_type = 'MATERIALIZED VIEW' then 'materialized view'
            when tables.table_type = 'EXTERNAL' then 'external'
            else 'table'
        end as table_type,
        cast(null as string) as table_comment,
        cast(null as string) as table_owner,
        columns.column_name as column_name,
        columns.ordinal_position as column_index,
        columns.data_type as column_type,
        cast(null as string) as column_comment
    from `{{ dataset }}`.INFORMATION_SCHEMA.TABLES as tables
    join `{{ dataset }}`.INFORMATION_SCHEMA.COLUMNS as columns
        on columns.table_schema = tables.table_schema
        and columns.table_name = tables.table_name
    {%- if identifiers is not none %}
    where lower(tables.table_name) in (
        {%- for identifier in identifiers %}lower('{{ identifier }}'){% if not loop.last %}, {% endif %}{% endfor -%}
    )
    {%- endif %}
{%- endmacro %}
