{#
    Type-2 product dimension: one row per product and version of its list price, status and category,
    from the snapshot snap_marketplace__products (captured at each pipeline run, so a change is dated
    when the pipeline first saw it). valid_from inclusive, valid_to exclusive, NULL = current, as in
    int_seller_tiers__historized. The snapshot never leaves a gap or an overlap between the versions
    of a product and keeps the last one open when the product leaves the source (hard_deletes
    ignore), so every product has exactly one current version (both tested). To find the price in
    effect at a time t: valid_from <= t and (valid_to > t or valid_to is null).
#}
with

product_versions as (

    select * from {{ ref('snap_marketplace__products') }}

),

versions as (

    select
        product_id,
        seller_id,
        category_id,
        price_amount,
        price_currency,
        product_status,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to,
        row_number() over (partition by product_id order by dbt_valid_from) as version_number,
        lag(price_amount) over (partition by product_id order by dbt_valid_from) as previous_price_amount,
        lag(product_status) over (partition by product_id order by dbt_valid_from) as previous_product_status
    from product_versions

)

select
    concat(product_id, ':', format_timestamp('%Y-%m-%dT%H:%M:%E6SZ', valid_from, 'UTC')) as product_key,
    product_id,
    version_number,
    seller_id,
    category_id,
    price_amount,
    price_currency,
    previous_price_amount,
    product_status,
    previous_product_status,
    valid_from,
    valid_to,
    valid_to is null as is_current
from versions
