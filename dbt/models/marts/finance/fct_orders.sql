{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='order_id',
        on_schema_change='fail',
        partition_by={'field': 'order_date', 'data_type': 'date', 'granularity': 'day'},
        cluster_by=['order_status', 'region'],
    )
}}

-- refs used only by incremental runs:
-- depends_on: {{ ref('stg_marketplace__orders') }}
-- depends_on: {{ ref('stg_marketplace__order_items') }}
-- depends_on: {{ ref('stg_marketplace__shipments') }}

{#
    One row per order. Incremental: each run re-reads the orders whose header, lines or parcels were
    loaded since incremental_window_start() (high-water mark / data_interval_start minus lookback_days) and
    merges them on order_id. Changes to seeds or dimensions (FX rates, regions, categories, buyer
    country) reach old rows only with `dbt build --full-refresh -s fct_orders`.
#}
with

orders as (

    select * from {{ ref('int_orders__enriched') }}

),

shipments as (

    select * from {{ ref('int_shipments__aggregated_to_orders') }}

),

orders_with_shipments as (

    select
        orders.*,
        coalesce(shipments.shipment_count, 0) as shipment_count,
        shipments.carriers as shipment_carriers,
        shipments.first_shipped_at,
        shipments.last_delivered_at,
        coalesce(shipments.is_fully_delivered, false) as is_fully_delivered,
        -- from the first pickup to the last delivery scan, once every parcel arrived; NULL when a
        -- carrier clock error makes the scans untrustworthy
        if(
            coalesce(shipments.is_fully_delivered and not shipments.has_delivered_before_shipped, false),
            round(timestamp_diff(shipments.last_delivered_at, shipments.first_shipped_at, minute) / 60, 1),
            null
        ) as hours_to_deliver,
        greatest(orders.source_loaded_at, coalesce(shipments.shipments_loaded_at, orders.source_loaded_at))
            as order_source_loaded_at
    from orders
    left join shipments
        on shipments.order_id = orders.order_id

)

{% if is_incremental() %}
,

touched_orders as (

    {{ orders_loaded_in_window({
        'stg_marketplace__orders': 'extracted_at',
        'stg_marketplace__order_items': 'extracted_at',
        'stg_marketplace__shipments': 'extracted_at',
    }) }}

)
{% endif %}

select
    order_id,
    order_number,
    buyer_id,
    order_status,
    order_date,
    {{ week_start('order_date') }} as order_week,
    {{ month_start('order_date') }} as order_month,
    created_at,
    confirmed_at,
    shipped_at,
    delivered_at,
    updated_at,
    currency,
    fx_rate_to_usd,
    is_unknown_currency,
    subtotal_amount,
    shipping_amount,
    tax_amount,
    discount_amount,
    total_amount,
    expected_total_amount,
    total_amount - expected_total_amount as total_mismatch_amount,
    subtotal_amount_usd,
    shipping_amount_usd,
    tax_amount_usd,
    discount_amount_usd,
    total_amount_usd,
    item_count,
    units,
    items_total_usd,
    unconverted_item_count,
    is_gmv_eligible,
    gmv_usd,
    main_level1_category_name,
    shipping_country,
    buyer_country_code,
    sales_country_code,
    region,
    is_total_mismatch,
    is_confirmed_at_suspect,
    is_future_dated,
    shipment_count,
    shipment_carriers,
    first_shipped_at,
    last_delivered_at,
    is_fully_delivered,
    hours_to_deliver,
    order_source_loaded_at as source_loaded_at
from orders_with_shipments
{% if is_incremental() %}
where order_id in (select order_id from touched_orders)
{% endif %}
