{{ config(materialized='table') }}

{#
    Order lines with everything the sales marts slice by: the order's date and status, the line value
    in US dollars (item currency, rate on the order date), the product's category hierarchy, and the
    seller's tier in effect when the order was placed (point-in-time join on the tier history).
#}
with

order_items as (

    select * from {{ ref('stg_marketplace__order_items') }}

),

orders as (

    select * from {{ ref('stg_marketplace__orders') }}

),

products as (

    select * from {{ ref('stg_marketplace__products') }}

),

categories as (

    select * from {{ ref('int_categories__flattened') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates__date_ranged') }}

),

known_currencies as (

    select distinct currency from fx_rates

),

seller_tiers as (

    select * from {{ ref('int_seller_tiers__historized') }}

),

lines as (

    select
        order_items.order_item_id,
        order_items.order_id,
        order_items.product_id,
        order_items.seller_id,
        orders.buyer_id,
        orders.order_status,
        coalesce(orders.created_at, order_items.created_at) as ordered_at,
        date(coalesce(orders.created_at, order_items.created_at)) as order_date,
        orders.order_id is null as is_orphan_order,
        order_items.quantity,
        order_items.unit_price,
        order_items.total_price,
        order_items.currency,
        order_items.product_title,
        greatest(order_items.extracted_at, coalesce(orders.extracted_at, order_items.extracted_at)) as source_loaded_at
    from order_items
    left join orders
        on orders.order_id = order_items.order_id

)

select
    lines.order_item_id,
    lines.order_id,
    lines.product_id,
    lines.seller_id,
    lines.buyer_id,
    lines.order_status,
    lines.ordered_at,
    lines.order_date,
    coalesce(lines.order_status in unnest({{ var('gmv_order_statuses') | tojson }}), false) as is_gmv_eligible,
    lines.is_orphan_order,
    lines.quantity,
    lines.unit_price,
    lines.total_price,
    lines.currency,
    known_currencies.currency is null as is_unknown_currency,
    fx_rates.rate_to_usd as fx_rate_to_usd,
    {{ to_usd('lines.total_price', 'fx_rates.rate_to_usd') }} as total_price_usd,
    coalesce(lines.product_title, products.product_title) as product_title,
    products.category_id,
    categories.level1_category_id,
    coalesce(categories.level1_category_name, 'unknown') as level1_category_name,
    categories.level2_category_id,
    coalesce(categories.level2_category_name, 'unknown') as level2_category_name,
    seller_tiers.seller_tier as seller_tier_at_order,
    lines.source_loaded_at
from lines
left join products
    on products.product_id = lines.product_id
left join categories
    on categories.category_id = products.category_id
left join known_currencies
    on known_currencies.currency = lines.currency
left join fx_rates
    on fx_rates.currency = lines.currency
    and lines.order_date >= fx_rates.valid_from
    and (lines.order_date < fx_rates.valid_to or fx_rates.valid_to is null)
left join seller_tiers
    on seller_tiers.seller_id = lines.seller_id
    and lines.ordered_at >= seller_tiers.valid_from
    and (lines.ordered_at < seller_tiers.valid_to or seller_tiers.valid_to is null)
