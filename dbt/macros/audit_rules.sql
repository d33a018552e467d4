{#
    The data-quality rule of each stream, in words, as shown in mart_audit_daily.invalid_rule.
    Keep in step with the checks in int_loaded_rows__validated.
#}
{% macro audit_rule_descriptions() -%}
    {{ return({
        'users': 'email missing or not an address; user_type not buyer/seller/both; updated_at in the future',
        'categories': 'name missing; level below 1; parent_id not found',
        'products': 'price NULL or < 0; status not draft/active/paused/sold_out/deleted; updated_at in the future',
        'orders': 'status not accepted; total_amount <> subtotal + shipping + tax - discount (NULL tax or discount = 0); an amount < 0, or subtotal, shipping or total NULL; updated_at in the future',
        'order_items': 'quantity <= 0; unit_price NULL or < 0; total_price <> unit_price * quantity; order not found',
        'payments': 'status not pending/processing/completed/failed/refunded/disputed; amount < 0 (refund rows excepted: they are negative by design); amount NULL unless pending, processing or failed',
        'reviews': 'rating outside 1-5; product not found; reviewer not found; status not accepted',
        'seller_tier_history': 'tier not bronze/silver/gold/platinum; effective_to not after effective_from; seller not found',
        'event_log': 'event_type or entity_type missing; received_at before event_timestamp; entity_id not found in its table',
    }) }}
{%- endmacro %}

{% macro audit_rule_case(stream_column) -%}
    case {{ stream_column }}
    {%- for stream, rule in audit_rule_descriptions().items() %}
        when '{{ stream }}' then '{{ rule }}'
    {%- endfor %}
    end
{%- endmacro %}
