{#
    Set-based diff of two relations, in the style of dbt-labs/audit_helper's compare_relations
    (written here because dbt Hub packages cannot be installed on our machines).

    compare_relations_sql(a, b, columns) returns one row per distinct row value that the two
    relations do not hold the same number of times:

        in_a  how many times the row is in a
        in_b  how many times it is in b
        row_json  the row, as JSON (the compared columns only)

    Duplicates count: a row held twice in a and once in b is a difference. Columns that BigQuery
    cannot group (ARRAY, STRUCT, JSON, GEOGRAPHY) are compared through TO_JSON_STRING. `columns` is
    the list of column names to compare (normally every column of a, less documented exclusions).

    a and b may be relations or parenthesised subqueries.
#}
{% macro compare_relations_sql(a, b, columns, column_types={}) -%}
    {%- set keyed = [] -%}
    {%- for name in columns -%}
        {%- set kind = (column_types.get(name, '') or '') | upper -%}
        {%- if kind.startswith('ARRAY') or kind.startswith('STRUCT') or kind.startswith('RECORD')
              or kind in ('JSON', 'GEOGRAPHY') -%}
            {%- do keyed.append('to_json_string(' ~ adapter.quote(name) ~ ') as ' ~ adapter.quote(name)) -%}
        {%- else -%}
            {%- do keyed.append(adapter.quote(name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set quoted = [] -%}
    {%- for name in columns -%}
        {%- do quoted.append(adapter.quote(name)) -%}
    {%- endfor -%}
    {%- set column_list = quoted | join(', ') -%}
    with

    a_rows as (

        select {{ column_list }}, count(*) as _n
        from (select {{ keyed | join(', ') }} from {{ a }})
        group by {{ column_list }}

    ),

    b_rows as (

        select {{ column_list }}, count(*) as _n
        from (select {{ keyed | join(', ') }} from {{ b }})
        group by {{ column_list }}

    ),

    a_not_b as (

        select * from a_rows
        except distinct
        select * from b_rows

    ),

    b_not_a as (

        select * from b_rows
        except distinct
        select * from a_rows

    ),

    differing as (

        select {{ column_list }}, _n as in_a, 0 as in_b from a_not_b
        union all
        select {{ column_list }}, 0 as in_a, _n as in_b from b_not_a

    )

    select
        sum(in_a) as in_a,
        sum(in_b) as in_b,
        to_json_string(struct({{ column_list }})) as row_json
    from differing
    group by row_json
{%- endmacro %}


{#
    The columns two relations are compared on: those of `a`, less `exclude` (case-insensitive),
    as (names, {name: data type}).
#}
{% macro comparable_columns(relation, exclude=[]) -%}
    {%- set excluded = exclude | map('lower') | list -%}
    {%- set names = [] -%}
    {%- set types = {} -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower not in excluded -%}
            {%- do names.append(column.name) -%}
            {%- do types.update({column.name: column.data_type}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return((names, types)) -}}
{%- endmacro %}


{#
    `dbt run-operation compare_datasets --args '{a: marts__audit, b: marts__shadow, models: [...],
    exclude: {model: [column, ...]}, sample: 5}'`

    Compares each model's table in dataset a with the same table in dataset b (same project), logs
    one line per model (`compare <model>: N differing rows (only in a: X, only in b: Y)`, where N
    counts distinct row values held a different number of times and X/Y the rows left unmatched on
    each side, and up to `sample` of those rows), and fails when any model differs or is missing.
#}
{% macro compare_datasets(a, b, models, exclude={}, sample=5) -%}
    {%- set failures = [] -%}
    {%- for model in models -%}
        {%- set rel_a = adapter.get_relation(database=target.project, schema=a, identifier=model) -%}
        {%- set rel_b = adapter.get_relation(database=target.project, schema=b, identifier=model) -%}
        {%- if rel_a is none or rel_b is none -%}
            {%- do log('compare ' ~ model ~ ': MISSING in ' ~ (a if rel_a is none else b), info=true) -%}
            {%- do failures.append(model) -%}
        {%- else -%}
            {%- set cols = comparable_columns(rel_a, exclude.get(model, [])) -%}
            {%- set diff_sql = compare_relations_sql(rel_a, rel_b, cols[0], cols[1]) -%}
            {%- set totals = run_query('select count(*) as n, coalesce(sum(greatest(in_a - in_b, 0)), 0) as a_only, coalesce(sum(greatest(in_b - in_a, 0)), 0) as b_only from (' ~ diff_sql ~ ')').rows[0] -%}
            {%- do log('compare ' ~ model ~ ': ' ~ totals['n'] ~ ' differing rows (only in ' ~ a ~ ': ' ~ totals['a_only'] ~ ', only in ' ~ b ~ ': ' ~ totals['b_only'] ~ ')', info=true) -%}
            {%- if totals['n'] | int > 0 -%}
                {%- do failures.append(model) -%}
                {%- set samples = run_query('select in_a, in_b, row_json from (' ~ diff_sql ~ ') order by row_json limit ' ~ (sample | int)) -%}
                {%- for line in samples.rows -%}
                    {%- do log('    ' ~ a ~ ' x' ~ line['in_a'] ~ ', ' ~ b ~ ' x' ~ line['in_b'] ~ ': ' ~ line['row_json'], info=true) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if failures -%}
        {{ exceptions.raise_compiler_error('relations differ: ' ~ failures | join(', ')) }}
    {%- endif -%}
    {%- do log('compare: ' ~ models | length ~ ' models identical in ' ~ a ~ ' and ' ~ b, info=true) -%}
{%- endmacro %}
