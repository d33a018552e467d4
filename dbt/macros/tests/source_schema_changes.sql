{#
    Generic test on a raw (source) table: one row per column the source added, dropped or widened, as
    extract-load recorded it in `_airbyte_meta.changes` (ADDED / NULLED / WIDENED with reason
    SOURCE_SCHEMA_CHANGE), within the last `lookback_days` of loads. Used with severity warn: drift
    does not stop the pipeline, but the test output names what changed so staging can follow.
#}
{% test source_schema_changes(model, lookback_days=7) %}
select
    json_value(change, '$.field') as column_name,
    json_value(change, '$.change') as change,
    count(*) as rows_recorded,
    max(_airbyte_extracted_at) as last_seen_at
from {{ model }}, unnest(json_query_array(_airbyte_meta, '$.changes')) as change
where json_value(change, '$.reason') = 'SOURCE_SCHEMA_CHANGE'
  and _airbyte_extracted_at >= timestamp_sub(current_timestamp(), interval {{ lookback_days }} day)
group by 1, 2
{% endtest %}
