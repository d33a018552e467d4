{{ config(materialized='table') }}

{#
    One row per order: dollar amounts, line aggregates, GMV, the buyer's attributes, the sales region
    and the order's main level-1 category (the one with the largest dollar value on the order).
    Region comes from the shipping country, else the buyer's country, else 'unknown'.
#}
with

orders as (

    select * from {{ ref('int_orders__converted_to_usd') }}

),

order_items as (

    select * from {{ ref('int_order_items__enriched') }}

),

users as (

    select * from {{ ref('stg_marketplace__users') }}

),

regions as (

    select * from {{ ref('country_regions') }}

),

line_totals as (

    select
        order_id,
        count(*) as item_count,
        sum(quantity) as units,
        sum(total_price_usd) as items_total_usd,
        countif(total_price_usd is null) as unconverted_item_count,
        max(source_loaded_at) as items_loaded_at
    from order_items
    group by order_id

),

main_category as (

    select
        order_id,
        level1_category_name
    from order_items
    where true
    qualify row_number() over (
        partition by order_id
        order by coalesce(total_price_usd, 0) desc, level1_category_name, order_item_id
    ) = 1

),

joined as (

    select
        orders.*,
        coalesce(orders.order_status in unnest({{ var('gmv_order_statuses') | tojson }}), false) as is_gmv_eligible,
        coalesce(line_totals.item_count, 0) as item_count,
        coalesce(line_totals.units, 0) as units,
        line_totals.items_total_usd,
        coalesce(line_totals.unconverted_item_count, 0) as unconverted_item_count,
        main_category.level1_category_name as main_level1_category_name,
        users.country_code as buyer_country_code,
        users.user_type as buyer_user_type,
        coalesce(orders.shipping_country, users.country_code) as sales_country_code,
        greatest(orders.extracted_at, coalesce(line_totals.items_loaded_at, orders.extracted_at)) as source_loaded_at
    from orders
    left join line_totals
        on line_totals.order_id = orders.order_id
    left join main_category
        on main_category.order_id = orders.order_id
    left join users
        on users.user_id = orders.buyer_id

)

select
    joined.*,
    if(joined.is_gmv_eligible, coalesce(joined.items_total_usd, 0), 0) as gmv_usd,
    coalesce(regions.region, 'unknown') as region
from joined
left join regions
    on regions.country_code = joined.sales_country_code
