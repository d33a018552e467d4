{{ config(materialized='table') }}

{#
    Every row extract-load delivered, per stream, with the data-quality rules it breaks (if any).
    One row per delivered source row: for payments every webhook delivery counts, replays included.
    load_date is the UTC date of _airbyte_extracted_at. The streams, the model each is audited from,
    its key and its rules come from the stream catalog (airbyte/streams/<stream>.yml, through the
    generated macro marketplace_streams()); `invalid_reasons` names every rule a row breaks, in rule
    order, separated by ';'.
#}
{%- set streams = marketplace_streams() %}

with

{% for stream in streams -%}
{{ stream.name }} as (select * from {{ ref(stream.audit_model) }}),
{% endfor %}
checks as (
{% for stream in streams %}
    select
        '{{ stream.name }}' as stream,
        {{ stream.audit_key }} as row_key,
        extracted_at,
        concat(
            ''
            {%- for rule in stream.rules %},
            if({{ rule.when }}, '{{ rule.reason }};', '')
            {%- endfor %}
        ) as reasons
    from {{ stream.name }}
    {%- if stream.audit_where %}
    where {{ stream.audit_where }}
    {%- endif %}
{% if not loop.last %}
    union all
{% endif %}
{%- endfor %}
)

select
    concat(stream, ':', row_key) as loaded_row_id,
    stream,
    row_key,
    extracted_at,
    date(extracted_at) as load_date,
    reasons != '' as is_invalid,
    nullif(rtrim(reasons, ';'), '') as invalid_reasons
from checks
