{#
    Payment events (webhook replays already collapsed) summed per order. Amounts are expressed in the
    order's currency: payments in another currency are converted through US dollars at the rates of
    the order date. Refund rows carry negative amounts in the source; refunded_amount is positive.
#}
with

payments as (

    select * from {{ ref('stg_marketplace__payments') }}

),

orders as (

    select * from {{ ref('int_orders__converted_to_usd') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates__date_ranged') }}

),

converted as (

    select
        payments.*,
        orders.currency as order_currency,
        case
            when payments.currency = orders.currency then 1
            else fx_rates.rate_to_usd / orders.fx_rate_to_usd
        end as rate_to_order_currency,
        fx_rates.rate_to_usd as payment_rate_to_usd
    from payments
    inner join orders
        on orders.order_id = payments.order_id
    left join fx_rates
        on fx_rates.currency = payments.currency
        and orders.order_date >= fx_rates.valid_from
        and (orders.order_date < fx_rates.valid_to or fx_rates.valid_to is null)

)

select
    order_id,
    count(*) as payment_event_count,
    countif(payment_status = 'completed') as completed_payment_count,
    countif(payment_status = 'failed') as failed_payment_count,
    countif(payment_status = 'refunded') as refund_count,
    countif(payment_status = 'disputed') as dispute_count,
    sum(replay_count) as replay_count,
    logical_or(has_replays) as has_replays,
    string_agg(distinct currency order by currency) as payment_currencies,
    -- NULL (not 0) as soon as one money-moving payment cannot be expressed in the order currency
    logical_or(rate_to_order_currency is null and payment_status in ('completed', 'refunded', 'disputed'))
        as has_unconvertible_payments,
    {%- for name, statuses, expression in [
        ('captured_amount', "'completed'", 'amount'),
        ('refunded_amount', "'refunded'", 'abs(amount)'),
        ('disputed_amount', "'disputed'", 'amount'),
        ('platform_fee_amount', "'completed', 'refunded'", 'coalesce(platform_fee, 0)'),
        ('seller_payout_amount', "'completed', 'refunded'", 'coalesce(seller_payout, 0)'),
    ] %}
    if(
        logical_or(payment_status in ({{ statuses }}) and rate_to_order_currency is null),
        null,
        round(sum(if(payment_status in ({{ statuses }}), {{ expression }} * rate_to_order_currency, 0)), 2)
    ) as {{ name }},
    {%- endfor %}
    {%- for name, statuses, expression in [
        ('captured_amount_usd', "'completed'", 'amount'),
        ('refunded_amount_usd', "'refunded'", 'abs(amount)'),
    ] %}
    if(
        logical_or(payment_status in ({{ statuses }}) and payment_rate_to_usd is null),
        null,
        round(sum(if(payment_status in ({{ statuses }}), {{ expression }} * payment_rate_to_usd, 0)), 2)
    ) as {{ name }},
    {%- endfor %}
    max(last_delivery_extracted_at) as payments_loaded_at,
    max(created_at) as last_payment_at
from converted
group by order_id
