{#
    One row per product listing with its category hierarchy (level 1 / level 2 / full path), current
    list price in its currency and in US dollars at the latest FX rate, and its review statistics
    (approved reviews only).
#}
with

products as (

    select * from {{ ref('int_products__converted_to_usd') }}

),

reviews as (

    select * from {{ ref('stg_marketplace__reviews') }}

),

review_stats as (

    select
        product_id,
        count(*) as approved_review_count,
        round(avg(rating), 2) as average_rating
    from reviews
    where review_status = 'approved'
    group by product_id

)

select
    products.product_id,
    products.seller_id,
    products.product_title,
    products.product_status,
    products.category_id,
    products.category_name,
    products.category_path,
    products.level1_category_id,
    products.level1_category_name,
    products.level2_category_id,
    products.level2_category_name,
    products.is_category_active,
    products.price_amount,
    products.price_currency,
    products.fx_rate_to_usd,
    products.price_usd,
    products.is_unknown_currency,
    products.quantity_available,
    products.tags,
    coalesce(review_stats.approved_review_count, 0) as approved_review_count,
    review_stats.average_rating,
    products.created_at,
    products.published_at,
    products.updated_at,
    products.is_future_dated
from products
left join review_stats
    on review_stats.product_id = products.product_id
