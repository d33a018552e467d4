{#
    Type-2 history of the product attributes that the source overwrites in place: list price (amount
    and currency), status and category (check strategy, like snap_marketplace__users: updated_at can
    be in the future (is_future_dated), so it cannot be trusted as a version timestamp). Each
    pipeline run compares the current values with the last snapshot; a product removed from the
    source keeps its last version open (hard_deletes='ignore'; a deletion normally arrives as status
    'deleted'). dim_product_history reads it.
#}
{% snapshot snap_marketplace__products %}

{{
    config(
        unique_key='product_id',
        strategy='check',
        check_cols=['price_amount', 'price_currency', 'product_status', 'category_id'],
        hard_deletes='ignore',
    )
}}

select
    product_id,
    seller_id,
    category_id,
    price_amount,
    price_currency,
    product_status,
    updated_at
from {{ ref('stg_marketplace__products') }}

{% endsnapshot %}
