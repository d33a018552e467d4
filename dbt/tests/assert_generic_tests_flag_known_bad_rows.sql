{#
    The project's generic tests can fail: each runs on a hand-made fixture whose bad rows are known,
    and must return exactly those rows. contiguous_validity_ranges: key a is clean, b overlaps, c has
    a gap, d has an open period that is not the last, e ends before it starts (one bad row each).
    unique_combination_of_columns: (1, x) twice and (NULL, z) twice (NULLs compare as values).
    expression_is_true: 'v > 0' where flag: v = -1 and v = NULL fail (NULL is a failure), the
    v = -5 row is outside the condition. Returns the tests whose result differs from the expectation.
#}
{%- set periods -%}
(
    select 'a' as range_key, date '2026-01-01' as valid_from, date '2026-02-01' as valid_to union all
    select 'a', date '2026-02-01', cast(null as date) union all
    select 'b', date '2026-01-01', date '2026-02-01' union all
    select 'b', date '2026-01-15', cast(null as date) union all
    select 'c', date '2026-01-01', date '2026-02-01' union all
    select 'c', date '2026-03-01', cast(null as date) union all
    select 'd', date '2026-01-01', cast(null as date) union all
    select 'd', date '2026-02-01', cast(null as date) union all
    select 'e', date '2026-03-01', date '2026-02-01'
)
{%- endset -%}
{%- set pairs -%}
(
    select 1 as n, 'x' as s union all
    select 1, 'x' union all
    select 1, 'y' union all
    select cast(null as int64), 'z' union all
    select cast(null as int64), 'z'
)
{%- endset -%}
{%- set values -%}
(
    select 1 as v, true as flag union all
    select -1, true union all
    select cast(null as int64), true union all
    select -5, false
)
{%- endset -%}
with

contiguous as (

    select
        'contiguous_validity_ranges' as generic_test,
        string_agg(range_key, ',' order by range_key) as flagged,
        'b,c,d,e' as expected
    from ({{ test_contiguous_validity_ranges(model=periods, partition_by='range_key') }}) as flagged_rows

),

unique_combination as (

    select
        'unique_combination_of_columns' as generic_test,
        string_agg(concat(coalesce(cast(n as string), 'null'), ':', s), ',' order by s) as flagged,
        '1:x,null:z' as expected
    from ({{ test_unique_combination_of_columns(model=pairs, combination_of_columns=['n', 's']) }}) as flagged_rows

),

expression as (

    select
        'expression_is_true' as generic_test,
        string_agg(coalesce(cast(v as string), 'null'), ',' order by coalesce(v, 0)) as flagged,
        '-1,null' as expected
    from ({{ test_expression_is_true(model=values, expression='v > 0', condition='flag') }}) as flagged_rows

)

select * from contiguous where coalesce(flagged, '') != expected
union all
select * from unique_combination where coalesce(flagged, '') != expected
union all
select * from expression where coalesce(flagged, '') != expected
