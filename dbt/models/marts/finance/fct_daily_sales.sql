{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='daily_sales_id',
        on_schema_change='fail',
        partition_by={'field': 'sales_date', 'data_type': 'date', 'granularity': 'day'},
        cluster_by=['region', 'level1_category_name'],
    )
}}

-- refs used only by incremental runs:
-- depends_on: {{ ref('stg_marketplace__orders') }}

{#
    One row per sales day (UTC order date) x region x level-1 category. GMV is the dollar value of the
    order lines in that category of GMV-eligible orders (var gmv_order_statuses); orders counts the
    eligible orders with at least one line in the category, so AOV = GMV / orders is the average
    category basket. Incremental: every day that has an order or line loaded since
    incremental_window_start() is recomputed in full; a group that no longer has lines that day
    (e.g. an order moved to another region) is kept with zeros.
#}
with

order_items as (

    select * from {{ ref('int_order_items__enriched') }}

),

orders as (

    select * from {{ ref('int_orders__enriched') }}

),

{% if is_incremental() %}
touched_dates as (

    select distinct order_date
    from order_items
    where source_loaded_at >= {{ incremental_window_start() }}

    union distinct

    select distinct date(created_at)
    from {{ ref('stg_marketplace__orders') }}
    where extracted_at >= {{ incremental_window_start() }}

),
{% endif %}

lines as (

    select
        order_items.order_date as sales_date,
        coalesce(orders.region, 'unknown') as region,
        order_items.level1_category_name,
        order_items.order_id,
        order_items.is_gmv_eligible,
        order_items.quantity,
        order_items.total_price_usd,
        greatest(order_items.source_loaded_at, coalesce(orders.source_loaded_at, order_items.source_loaded_at))
            as source_loaded_at
    from order_items
    left join orders
        on orders.order_id = order_items.order_id
    {% if is_incremental() %}
    where order_items.order_date in (select order_date from touched_dates)
    {% endif %}

),

aggregated as (

    select
        sales_date,
        region,
        level1_category_name,
        sum(if(is_gmv_eligible, coalesce(total_price_usd, 0), 0)) as gmv_usd,
        count(distinct if(is_gmv_eligible, order_id, null)) as order_count,
        sum(if(is_gmv_eligible, quantity, 0)) as units_sold,
        count(distinct order_id) as placed_order_count,
        countif(is_gmv_eligible and total_price_usd is null) as unconverted_line_count,
        max(source_loaded_at) as source_loaded_at
    from lines
    group by sales_date, region, level1_category_name

),

{% if is_incremental() %}
vanished as (

    select
        existing.sales_date,
        existing.region,
        existing.level1_category_name,
        cast(0 as {{ numeric_type() }}) as gmv_usd,
        0 as order_count,
        0 as units_sold,
        0 as placed_order_count,
        0 as unconverted_line_count,
        existing.source_loaded_at
    from {{ this }} as existing
    left join aggregated
        on aggregated.sales_date = existing.sales_date
        and aggregated.region = existing.region
        and aggregated.level1_category_name = existing.level1_category_name
    where existing.sales_date in (select order_date from touched_dates)
      and aggregated.sales_date is null

),
{% endif %}

groups as (

    select * from aggregated
    {% if is_incremental() %}
    union all
    select * from vanished
    {% endif %}

)

select
    concat(cast(sales_date as string), '|', region, '|', level1_category_name) as daily_sales_id,
    sales_date,
    {{ week_start('sales_date') }} as sales_week,
    {{ month_start('sales_date') }} as sales_month,
    region,
    level1_category_name,
    gmv_usd,
    order_count,
    cast(round(safe_divide(gmv_usd, order_count), 2) as {{ numeric_type() }}) as aov_usd,
    units_sold,
    placed_order_count,
    unconverted_line_count,
    source_loaded_at
from groups
