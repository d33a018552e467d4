{#
    dim_product_history against the staged products: every product has exactly one current version,
    and it carries the product's price, currency, status and category as staged now; no current
    version belongs to a product staging does not know (hard deletes are kept open, but the source
    soft-deletes products). Returns the products that break this.
#}
with

products as (

    select * from {{ ref('stg_marketplace__products') }}

),

current_versions as (

    select
        product_id,
        count(*) as current_version_count,
        any_value(price_amount) as price_amount,
        any_value(price_currency) as price_currency,
        any_value(product_status) as product_status,
        any_value(category_id) as category_id
    from {{ ref('dim_product_history') }}
    where is_current
    group by product_id

)

select
    coalesce(products.product_id, current_versions.product_id) as product_id,
    current_versions.current_version_count
from products
full outer join current_versions
    on current_versions.product_id = products.product_id
where current_versions.product_id is null
   or products.product_id is null
   or current_versions.current_version_count != 1
   or current_versions.price_amount is distinct from products.price_amount
   or current_versions.price_currency is distinct from products.price_currency
   or current_versions.product_status is distinct from products.product_status
   or current_versions.category_id is distinct from products.category_id
