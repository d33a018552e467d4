{#
    Products with their current list price in US dollars (the latest rate of the FX seed) and their
    category hierarchy. Unknown currencies give a NULL dollar price and is_unknown_currency = true.
#}
with

products as (

    select * from {{ ref('stg_marketplace__products') }}

),

categories as (

    select * from {{ ref('int_categories__flattened') }}

),

current_rates as (

    select * from {{ ref('int_fx_rates__date_ranged') }}
    where is_current

)

select
    products.product_id,
    products.seller_id,
    products.product_title,
    products.product_status,
    products.category_id,
    categories.category_name,
    categories.category_path,
    categories.level1_category_id,
    coalesce(categories.level1_category_name, 'unknown') as level1_category_name,
    categories.level2_category_id,
    coalesce(categories.level2_category_name, 'unknown') as level2_category_name,
    coalesce(categories.is_active, false) as is_category_active,
    products.price_amount,
    products.price_currency,
    current_rates.currency is null as is_unknown_currency,
    current_rates.rate_to_usd as fx_rate_to_usd,
    {{ to_usd('products.price_amount', 'current_rates.rate_to_usd') }} as price_usd,
    products.quantity_available,
    products.tags,
    products.attributes,
    products.created_at,
    products.updated_at,
    products.published_at,
    products.is_future_dated,
    products.extracted_at
from products
left join categories
    on categories.category_id = products.category_id
left join current_rates
    on current_rates.currency = products.price_currency
