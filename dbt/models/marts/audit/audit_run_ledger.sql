{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='run_id',
        merge_exclude_columns=['first_recorded_at'],
        on_schema_change='fail',
    )
}}

{#
    One row per pipeline run (run_var run_id: Airflow passes its dag run id, a manual `dbt build`
    records 'manual'). Re-running the same run id updates its row (last_recorded_at, dbt_invocation_id and the
    figures) and keeps first_recorded_at. The figures describe the warehouse after the run: what was
    loaded, how much of it broke a data-quality rule, and the known data faults that were flagged.
#}
{%- set interval_start = run_var('data_interval_start') -%}
{%- set interval_end = run_var('data_interval_end') -%}

with

orders as (

    select * from {{ ref('fct_orders') }}

),

reconciliation as (

    select * from {{ ref('fct_payment_reconciliation') }}

),

validated as (

    select * from {{ ref('int_loaded_rows__validated') }}

),

sync_log as (

    select * from {{ ref('stg_marketplace__el_sync_log') }}

),

order_figures as (

    select
        count(*) as order_count,
        sum(gmv_usd) as gmv_usd,
        countif(is_total_mismatch) as total_mismatch_order_count,
        countif(is_unknown_currency) as unknown_currency_order_count,
        countif(is_confirmed_at_suspect) as confirmed_at_suspect_order_count
    from orders

),

payment_figures as (

    select
        sum(replay_count) as payment_replay_count,
        countif(reconciliation_status = 'balanced') as balanced_order_count,
        countif(reconciliation_status in ('underpaid', 'overpaid')) as unbalanced_order_count
    from reconciliation

),

quality_figures as (

    select
        count(*) as loaded_row_count,
        countif(is_invalid) as invalid_row_count
    from validated

),

sync_figures as (

    select
        max(sync_id) as last_sync_id,
        max(finished_at) as last_sync_finished_at
    from sync_log

)

select
    '{{ run_var("run_id") }}' as run_id,
    {{ "timestamp('" ~ interval_start ~ "')" if interval_start else 'cast(null as timestamp)' }} as data_interval_start,
    {{ "timestamp('" ~ interval_end ~ "')" if interval_end else 'cast(null as timestamp)' }} as data_interval_end,
    '{{ invocation_id }}' as dbt_invocation_id,
    '{{ target.name }}' as dbt_target,
    timestamp('{{ run_started_at.isoformat() }}') as first_recorded_at,
    timestamp('{{ run_started_at.isoformat() }}') as last_recorded_at,
    sync_figures.last_sync_id,
    sync_figures.last_sync_finished_at,
    order_figures.order_count,
    order_figures.gmv_usd,
    order_figures.total_mismatch_order_count,
    order_figures.unknown_currency_order_count,
    order_figures.confirmed_at_suspect_order_count,
    payment_figures.payment_replay_count,
    payment_figures.balanced_order_count,
    payment_figures.unbalanced_order_count,
    quality_figures.loaded_row_count,
    quality_figures.invalid_row_count,
    round(safe_divide(quality_figures.invalid_row_count, quality_figures.loaded_row_count), 6) as error_rate
from order_figures
cross join payment_figures
cross join quality_figures
cross join sync_figures
