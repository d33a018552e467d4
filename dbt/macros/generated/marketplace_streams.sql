{# Generated from airbyte/streams/*.yml by marketplace-elt catalog render; do not edit. #}
{% macro marketplace_streams() %}{{ return([
    {
        'name': 'categories',
        'audit_model': 'stg_marketplace__categories',
        'audit_key': 'cast(category_id as string)',
        'audit_where': '',
        'rules': [
            {
                'reason': 'name_missing',
                'words': 'name missing',
                'when': 'category_name is null',
            },
            {
                'reason': 'level_not_positive',
                'words': 'level below 1',
                'when': 'coalesce(category_level < 1, true)',
            },
            {
                'reason': 'parent_not_found',
                'words': 'parent_id not found',
                'when': 'parent_category_id is not null and parent_category_id not in (select category_id from categories)',
            },
        ],
        'references': ['categories'],
    },
    {
        'name': 'event_log',
        'audit_model': 'stg_marketplace__event_log',
        'audit_key': 'cast(event_id as string)',
        'audit_where': '',
        'rules': [
            {
                'reason': 'type_missing',
                'words': 'event_type or entity_type missing',
                'when': 'event_type is null or entity_type is null',
            },
            {
                'reason': 'received_before_it_happened',
                'words': 'received_at before event_timestamp',
                'when': 'event_at is null or received_at < event_at',
            },
            {
                'reason': 'entity_not_found',
                'words': 'entity_id not found in its table',
                'when': '(entity_type = \'order\' and entity_id not in (select order_id from orders)) or (entity_type = \'user\' and entity_id not in (select user_id from users)) or (entity_type = \'product\' and entity_id not in (select product_id from products))',
            },
        ],
        'references': ['orders', 'products', 'users'],
    },
    {
        'name': 'users',
        'audit_model': 'stg_marketplace__users',
        'audit_key': 'user_id',
        'audit_where': '',
        'rules': [
            {
                'reason': 'email_missing_or_invalid',
                'words': 'email missing or not an address',
                'when': 'not is_email_valid',
            },
            {
                'reason': 'user_type_not_accepted',
                'words': 'user_type not buyer/seller/both',
                'when': 'coalesce(user_type not in (\'buyer\', \'seller\', \'both\'), true)',
            },
            {
                'reason': 'updated_at_in_future',
                'words': 'updated_at in the future',
                'when': 'is_future_dated',
            },
        ],
        'references': [],
    },
    {
        'name': 'orders',
        'audit_model': 'stg_marketplace__orders',
        'audit_key': 'order_id',
        'audit_where': '',
        'rules': [
            {
                'reason': 'status_not_accepted',
                'words': 'status not accepted',
                'when': 'coalesce(order_status not in ( \'pending\', \'confirmed\', \'processing\', \'shipped\', \'delivered\', \'cancelled\', \'refunded\'), true)',
            },
            {
                'reason': 'total_not_sum_of_parts',
                'words': 'total_amount <> subtotal + shipping + tax - discount (NULL tax or discount = 0)',
                'when': 'is_total_mismatch',
            },
            {
                'reason': 'amount_missing_or_negative',
                'words': 'an amount < 0, or subtotal, shipping or total NULL',
                'when': 'coalesce(least(subtotal_amount, shipping_amount, coalesce(tax_amount, 0), coalesce(discount_amount, 0), total_amount) < 0, true)',
            },
            {
                'reason': 'updated_at_in_future',
                'words': 'updated_at in the future',
                'when': 'is_future_dated',
            },
        ],
        'references': [],
    },
    {
        'name': 'payments',
        'audit_model': 'base_marketplace__payments',
        'audit_key': 'payment_id',
        'audit_where': 'deleted_at_source is null',
        'rules': [
            {
                'reason': 'status_not_accepted',
                'words': 'status not pending/processing/completed/failed/refunded/disputed',
                'when': 'coalesce(payment_status not in ( \'pending\', \'processing\', \'completed\', \'failed\', \'refunded\', \'disputed\'), true)',
            },
            {
                'reason': 'amount_missing_or_negative',
                'words': 'amount < 0 (refund rows excepted: they are negative by design); amount NULL unless pending, processing or failed',
                'when': '(amount is null and coalesce(payment_status, \'\') not in (\'pending\', \'processing\', \'failed\')) or (amount < 0 and coalesce(payment_status, \'\') != \'refunded\')',
            },
        ],
        'references': [],
    },
    {
        'name': 'products',
        'audit_model': 'stg_marketplace__products',
        'audit_key': 'product_id',
        'audit_where': '',
        'rules': [
            {
                'reason': 'price_missing_or_negative',
                'words': 'price NULL or < 0',
                'when': 'price_amount is null or price_amount < 0',
            },
            {
                'reason': 'status_not_accepted',
                'words': 'status not draft/active/paused/sold_out/deleted',
                'when': 'coalesce(product_status not in (\'draft\', \'active\', \'paused\', \'sold_out\', \'deleted\'), true)',
            },
            {
                'reason': 'updated_at_in_future',
                'words': 'updated_at in the future',
                'when': 'is_future_dated',
            },
        ],
        'references': [],
    },
    {
        'name': 'order_items',
        'audit_model': 'stg_marketplace__order_items',
        'audit_key': 'order_item_id',
        'audit_where': '',
        'rules': [
            {
                'reason': 'quantity_not_positive',
                'words': 'quantity <= 0',
                'when': 'coalesce(quantity <= 0, true)',
            },
            {
                'reason': 'unit_price_missing_or_negative',
                'words': 'unit_price NULL or < 0',
                'when': 'coalesce(unit_price < 0, true)',
            },
            {
                'reason': 'total_not_price_times_quantity',
                'words': 'total_price <> unit_price * quantity',
                'when': 'coalesce(total_price != unit_price * quantity, true)',
            },
            {
                'reason': 'order_not_found',
                'words': 'order not found',
                'when': 'order_id not in (select order_id from orders)',
            },
        ],
        'references': ['orders'],
    },
    {
        'name': 'reviews',
        'audit_model': 'stg_marketplace__reviews',
        'audit_key': 'review_id',
        'audit_where': '',
        'rules': [
            {
                'reason': 'rating_out_of_range',
                'words': 'rating outside 1-5',
                'when': 'coalesce(rating not between 1 and 5, true)',
            },
            {
                'reason': 'product_not_found',
                'words': 'product not found',
                'when': 'product_id not in (select product_id from products)',
            },
            {
                'reason': 'reviewer_not_found',
                'words': 'reviewer not found',
                'when': 'reviewer_id not in (select user_id from users)',
            },
            {
                'reason': 'status_not_accepted',
                'words': 'status not accepted',
                'when': 'coalesce(review_status not in (\'pending\', \'approved\', \'rejected\', \'flagged\'), true)',
            },
        ],
        'references': ['products', 'users'],
    },
    {
        'name': 'seller_tier_history',
        'audit_model': 'stg_marketplace__seller_tier_history',
        'audit_key': 'cast(tier_history_id as string)',
        'audit_where': '',
        'rules': [
            {
                'reason': 'tier_not_accepted',
                'words': 'tier not bronze/silver/gold/platinum',
                'when': 'coalesce(seller_tier not in (\'bronze\', \'silver\', \'gold\', \'platinum\'), true)',
            },
            {
                'reason': 'ends_before_it_starts',
                'words': 'effective_to not after effective_from',
                'when': 'effective_to is not null and effective_to <= effective_from',
            },
            {
                'reason': 'seller_not_found',
                'words': 'seller not found',
                'when': 'seller_id not in (select user_id from users)',
            },
        ],
        'references': ['users'],
    },
    {
        'name': 'shipments',
        'audit_model': 'stg_marketplace__shipments',
        'audit_key': 'shipment_id',
        'audit_where': '',
        'rules': [
            {
                'reason': 'status_not_accepted',
                'words': 'status not label_created/in_transit/delivered/returned/lost',
                'when': 'coalesce(shipment_status not in (\'label_created\', \'in_transit\', \'delivered\', \'returned\', \'lost\'), true)',
            },
            {
                'reason': 'order_not_found',
                'words': 'order not found',
                'when': 'order_id not in (select order_id from orders)',
            },
            {
                'reason': 'delivered_before_shipped',
                'words': 'delivered_at before shipped_at',
                'when': 'delivered_at < shipped_at',
            },
        ],
        'references': ['orders'],
    },
]) }}{% endmacro %}
