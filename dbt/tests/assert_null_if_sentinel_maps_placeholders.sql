{#
    null_if_sentinel: placeholders become NULL whatever their case and padding; real values (including
    the country code 'NA', Namibia) are kept, trimmed. Returns the wrongly mapped inputs.
#}
with cases as (

    select '' as raw_value, cast(null as string) as expected union all
    select '   ', null union all
    select 'N/A', null union all
    select ' n/a ', null union all
    select 'NULL', null union all
    select 'null', null union all
    select ' None', null union all
    select cast(null as string), null union all
    select 'NA', 'NA' union all
    select '  Berlin ', 'Berlin' union all
    select 'nullable', 'nullable'

)

select *
from cases
where coalesce({{ null_if_sentinel('raw_value') }}, '<null>') != coalesce(expected, '<null>')
