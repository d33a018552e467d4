{{ config(materialized='table') }}

{#
    Every row extract-load delivered, per stream, with the data-quality rule it breaks (if any).
    One row per delivered source row: for payments every webhook delivery counts, replays included.
    load_date is the UTC date of _airbyte_extracted_at. The rules are documented per stream in
    docs/dbt-models.md and in the yml description of mart_audit_daily; `invalid_reasons` names every
    rule a row breaks, separated by ';'.
#}
with

users as (select * from {{ ref('stg_marketplace__users') }}),
categories as (select * from {{ ref('stg_marketplace__categories') }}),
products as (select * from {{ ref('stg_marketplace__products') }}),
orders as (select * from {{ ref('stg_marketplace__orders') }}),
order_items as (select * from {{ ref('stg_marketplace__order_items') }}),
payments as (select * from {{ ref('base_marketplace__payments') }}),
reviews as (select * from {{ ref('stg_marketplace__reviews') }}),
seller_tier_history as (select * from {{ ref('stg_marketplace__seller_tier_history') }}),
event_log as (select * from {{ ref('stg_marketplace__event_log') }}),

checks as (

    select
        'users' as stream,
        user_id as row_key,
        extracted_at,
        concat(
            if(email is null or not regexp_contains(email, r'^[^@\s]+@[^@\s]+$'), 'email_missing_or_invalid;', ''),
            if(coalesce(user_type not in ('buyer', 'seller', 'both'), true), 'user_type_not_accepted;', ''),
            if(is_future_dated, 'updated_at_in_future;', '')
        ) as reasons
    from users

    union all

    select
        'categories',
        cast(category_id as string),
        extracted_at,
        concat(
            if(category_name is null, 'name_missing;', ''),
            if(coalesce(category_level < 1, true), 'level_not_positive;', ''),
            if(
                parent_category_id is not null
                and parent_category_id not in (select category_id from categories),
                'parent_not_found;', ''
            )
        )
    from categories

    union all

    select
        'products',
        product_id,
        extracted_at,
        concat(
            if(price_amount is null or price_amount < 0, 'price_missing_or_negative;', ''),
            if(coalesce(product_status not in ('draft', 'active', 'paused', 'sold_out', 'deleted'), true),
                'status_not_accepted;', ''),
            if(is_future_dated, 'updated_at_in_future;', '')
        )
    from products

    union all

    select
        'orders',
        order_id,
        extracted_at,
        concat(
            if(coalesce(order_status not in (
                'pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded'), true),
                'status_not_accepted;', ''),
            if(is_total_mismatch, 'total_not_sum_of_parts;', ''),
            -- a NULL tax or discount is 0 (the staging default, as in is_total_mismatch), never invalid
            if(coalesce(least(subtotal_amount, shipping_amount, coalesce(tax_amount, 0), coalesce(discount_amount, 0),
                total_amount) < 0, true),
                'amount_missing_or_negative;', ''),
            if(is_future_dated, 'updated_at_in_future;', '')
        )
    from orders

    union all

    select
        'order_items',
        order_item_id,
        extracted_at,
        concat(
            if(coalesce(quantity <= 0, true), 'quantity_not_positive;', ''),
            if(coalesce(unit_price < 0, true), 'unit_price_missing_or_negative;', ''),
            if(coalesce(total_price != unit_price * quantity, true), 'total_not_price_times_quantity;', ''),
            if(order_id not in (select order_id from orders), 'order_not_found;', '')
        )
    from order_items

    union all

    select
        'payments',
        payment_id,
        extracted_at,
        concat(
            if(coalesce(payment_status not in (
                'pending', 'processing', 'completed', 'failed', 'refunded', 'disputed'), true),
                'status_not_accepted;', ''),
            -- refunds are reversal rows: their amount is negative by design; a payment that moved no
            -- money (pending, processing, failed) may have no amount
            if((amount is null and coalesce(payment_status, '') not in ('pending', 'processing', 'failed'))
                or (amount < 0 and coalesce(payment_status, '') != 'refunded'),
                'amount_missing_or_negative;', '')
        )
    from payments

    union all

    select
        'reviews',
        review_id,
        extracted_at,
        concat(
            if(coalesce(rating not between 1 and 5, true), 'rating_out_of_range;', ''),
            if(product_id not in (select product_id from products), 'product_not_found;', ''),
            if(reviewer_id not in (select user_id from users), 'reviewer_not_found;', ''),
            if(coalesce(review_status not in ('pending', 'approved', 'rejected', 'flagged'), true),
                'status_not_accepted;', '')
        )
    from reviews

    union all

    select
        'seller_tier_history',
        cast(tier_history_id as string),
        extracted_at,
        concat(
            if(coalesce(seller_tier not in ('bronze', 'silver', 'gold', 'platinum'), true), 'tier_not_accepted;', ''),
            if(effective_to is not null and effective_to <= effective_from, 'ends_before_it_starts;', ''),
            if(seller_id not in (select user_id from users), 'seller_not_found;', '')
        )
    from seller_tier_history

    union all

    select
        'event_log',
        cast(event_id as string),
        extracted_at,
        concat(
            if(event_type is null or entity_type is null, 'type_missing;', ''),
            if(event_at is null or received_at < event_at, 'received_before_it_happened;', ''),
            if(
                (entity_type = 'order' and entity_id not in (select order_id from orders))
                or (entity_type = 'user' and entity_id not in (select user_id from users))
                or (entity_type = 'product' and entity_id not in (select product_id from products)),
                'entity_not_found;', ''
            )
        )
    from event_log

)

select
    concat(stream, ':', row_key) as loaded_row_id,
    stream,
    row_key,
    extracted_at,
    date(extracted_at) as load_date,
    reasons != '' as is_invalid,
    nullif(rtrim(reasons, ';'), '') as invalid_reasons
from checks
