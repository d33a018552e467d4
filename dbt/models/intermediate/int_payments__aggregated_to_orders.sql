{#
    Payment events (webhook replays already collapsed) summed per order. Amounts are expressed in the
    order's currency: payments in another currency are converted through US dollars at the rates of
    the order date.

    Sources record a refund in one of two ways, and both are read here:
      * a separate refund row: status 'refunded', negative amount (the charge stays 'completed');
      * a status change on the original charge: status 'refunded', positive amount. That money was
        captured and then refunded: it counts as captured = amount and refunded = amount.
    When an order has a charge marked refunded, its separate refund rows describe the same refund and
    are not counted again (amounts and fees alike).
    A money-moving payment (completed / refunded / disputed) with a NULL amount is invalid: it adds
    nothing to any amount and is counted in invalid_amount_payment_count. Payments still pending or
    processing are counted in in_flight_payment_count. A NULL event_id never merges payments: such a
    row is its own event (base_marketplace__payments.event_key).
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
        fx_rates.rate_to_usd as payment_rate_to_usd,
        coalesce(payments.payment_status = 'refunded' and payments.amount >= 0, false) as is_refunded_charge,
        coalesce(payments.payment_status = 'refunded' and payments.amount < 0, false) as is_refund_row
    from payments
    inner join orders
        on orders.order_id = payments.order_id
    left join fx_rates
        on fx_rates.currency = payments.currency
        and orders.order_date >= fx_rates.valid_from
        and (orders.order_date < fx_rates.valid_to or fx_rates.valid_to is null)

),

order_refund_shape as (

    select
        *,
        max(if(is_refunded_charge, 1, 0)) over (partition by order_id) = 1 as order_has_refunded_charge
    from converted

),

contributions as (

    -- what each payment adds to each amount, in its own currency (NULL = adds nothing)
    select
        *,
        case when payment_status = 'completed' or is_refunded_charge then amount end as captured_part,
        case
            when is_refunded_charge then amount
            when is_refund_row and not order_has_refunded_charge then -amount
        end as refunded_part,
        case when payment_status = 'disputed' then amount end as disputed_part,
        case
            when payment_status = 'completed' then coalesce(platform_fee, 0)
            when is_refund_row and not order_has_refunded_charge then coalesce(platform_fee, 0)
        end as platform_fee_part,
        case
            when payment_status = 'completed' then coalesce(seller_payout, 0)
            when is_refund_row and not order_has_refunded_charge then coalesce(seller_payout, 0)
        end as seller_payout_part
    from order_refund_shape

)

select
    order_id,
    count(*) as payment_event_count,
    countif(payment_status = 'completed') as completed_payment_count,
    countif(payment_status = 'failed') as failed_payment_count,
    countif(payment_status = 'refunded') as refund_count,
    countif(is_refunded_charge) as refunded_charge_count,
    countif(payment_status = 'disputed') as dispute_count,
    countif(payment_status in ('pending', 'processing')) as in_flight_payment_count,
    countif(amount is null and payment_status in ('completed', 'refunded', 'disputed')) as invalid_amount_payment_count,
    sum(replay_count) as replay_count,
    logical_or(has_replays) as has_replays,
    string_agg(distinct currency order by currency) as payment_currencies,
    -- NULL (not 0) as soon as one money-moving payment cannot be expressed in the order currency
    logical_or(
        rate_to_order_currency is null
        and (captured_part is not null or refunded_part is not null or disputed_part is not null)
    ) as has_unconvertible_payments,
    {%- for name, part in [
        ('captured_amount', 'captured_part'),
        ('refunded_amount', 'refunded_part'),
        ('disputed_amount', 'disputed_part'),
        ('platform_fee_amount', 'platform_fee_part'),
        ('seller_payout_amount', 'seller_payout_part'),
    ] %}
    if(
        logical_or({{ part }} is not null and rate_to_order_currency is null),
        null,
        round(sum(coalesce({{ part }} * rate_to_order_currency, 0)), 2)
    ) as {{ name }},
    {%- endfor %}
    {%- for name, part in [
        ('captured_amount_usd', 'captured_part'),
        ('refunded_amount_usd', 'refunded_part'),
    ] %}
    if(
        logical_or({{ part }} is not null and payment_rate_to_usd is null),
        null,
        round(sum(coalesce({{ part }} * payment_rate_to_usd, 0)), 2)
    ) as {{ name }},
    {%- endfor %}
    max(last_delivery_extracted_at) as payments_loaded_at,
    max(created_at) as last_payment_at
from contributions
group by order_id
