{#
    Lower bound of what an incremental run re-reads, compared with a load timestamp (the loader's
    _airbyte_extracted_at, carried by facts as `source_loaded_at`):

        least(high-water mark already in the model, data_interval_start when given)
          - var lookback_days

    data_interval_start comes from run_var (macros/run_var.sql): Airflow's environment, else the var.

    The high-water mark keeps a run correct when a previous run was skipped; data_interval_start lets
    Airflow re-run (backfill) an older interval; the look-back re-reads rows that were loaded late or
    out of order. Use only inside `{% if is_incremental() %}`.
#}
{% macro incremental_window_start(loaded_at_column='source_loaded_at') -%}
    {%- set interval_start = run_var('data_interval_start') -%}
    {%- set high_water_mark -%}
        coalesce((select max({{ loaded_at_column }}) from {{ this }}), timestamp '1970-01-01 00:00:00+00')
    {%- endset -%}
    timestamp_sub(
        {%- if interval_start %}
        least({{ high_water_mark }}, timestamp('{{ interval_start }}')),
        {%- else %}
        {{ high_water_mark }},
        {%- endif %}
        interval {{ var('lookback_days') | int }} day
    )
{%- endmacro %}

{#
    The orders an incremental fact recomputes: every order_id loaded into any of `models` since
    incremental_window_start(). `models` maps a model name to its load-timestamp column, e.g.
    {'stg_marketplace__orders': 'extracted_at', 'stg_marketplace__payments': 'last_delivery_extracted_at'}.
    Returns a select to put in a CTE. The models are also listed as `-- depends_on` refs in the fact
    (refs inside is_incremental() blocks are not seen at parse time). Use only inside
    `{% if is_incremental() %}`.
#}
{% macro orders_loaded_in_window(models) -%}
    {%- for model, loaded_at in models.items() %}
    select order_id
    from {{ ref(model) }}
    where {{ loaded_at }} >= {{ incremental_window_start() }}
    {%- if not loop.last %}

    union distinct
    {% endif %}
    {%- endfor %}
{%- endmacro %}
