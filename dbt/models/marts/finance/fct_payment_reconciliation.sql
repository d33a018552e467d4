{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='order_id',
        on_schema_change='fail',
        partition_by={'field': 'order_date', 'data_type': 'date', 'granularity': 'day'},
        cluster_by=['reconciliation_status'],
    )
}}

-- refs used only by incremental runs:
-- depends_on: {{ ref('stg_marketplace__orders') }}
-- depends_on: {{ ref('base_marketplace__payments') }}

{#
    One row per order: what the order says is due against what the payment events moved, in the
    order's currency and in US dollars. Replayed webhooks are already collapsed (staging); an order
    that received replays is still reported as 'duplicate-replay-detected' so finance can check the
    provider. reconciliation_status, first match wins (the precedence is tested case by case in
    _finance__unit_tests.yml):
      duplicate-replay-detected  a payment event of the order was delivered more than once
      refunded                   a refund was recorded: a refund row (negative amount) or the original
                                 charge's status changed to 'refunded' (positive amount)
      unknown-currency           the order's currency is unknown, or a payment cannot be converted
      invalid-payment-amount     a completed / refunded / disputed payment has a NULL amount, so
                                 nothing can be concluded from the sums
      in-flight                  a payment is still pending or processing and captured - refunded is
                                 below the amount due (the missing money may still arrive)
      balanced                   captured - refunded equals the amount due (to the cent)
      underpaid / overpaid       captured - refunded is below / above the amount due
    balance_status is the plain amount comparison without any of the labels above it.
    Amount due: total_amount, or 0 for cancelled and refunded orders.
#}
with

orders as (

    select * from {{ ref('int_orders__converted_to_usd') }}

),

payments as (

    select * from {{ ref('int_payments__aggregated_to_orders') }}

)

{% if is_incremental() %}
,

touched_orders as (

    {{ orders_loaded_in_window({
        'stg_marketplace__orders': 'extracted_at',
        'base_marketplace__payments': 'extracted_at',
    }) }}

)
{% endif %}
,

compared as (

    select
        orders.order_id,
        orders.order_number,
        orders.order_status,
        orders.order_date,
        orders.currency,
        orders.is_unknown_currency,
        orders.is_total_mismatch,
        orders.total_amount,
        if(orders.order_status in ('cancelled', 'refunded'), 0, orders.total_amount) as amount_due,
        coalesce(payments.payment_event_count, 0) as payment_event_count,
        coalesce(payments.completed_payment_count, 0) as completed_payment_count,
        coalesce(payments.failed_payment_count, 0) as failed_payment_count,
        coalesce(payments.refund_count, 0) as refund_count,
        coalesce(payments.refunded_charge_count, 0) as refunded_charge_count,
        coalesce(payments.dispute_count, 0) as dispute_count,
        coalesce(payments.in_flight_payment_count, 0) as in_flight_payment_count,
        coalesce(payments.invalid_amount_payment_count, 0) as invalid_amount_payment_count,
        coalesce(payments.replay_count, 0) as replay_count,
        coalesce(payments.has_replays, false) as has_replays,
        payments.payment_currencies,
        if(payments.order_id is null, 0, payments.captured_amount) as captured_amount,
        if(payments.order_id is null, 0, payments.refunded_amount) as refunded_amount,
        if(payments.order_id is null, 0, payments.disputed_amount) as disputed_amount,
        if(payments.order_id is null, 0, payments.platform_fee_amount) as platform_fee_amount,
        if(payments.order_id is null, 0, payments.seller_payout_amount) as seller_payout_amount,
        orders.total_amount_usd,
        if(orders.order_status in ('cancelled', 'refunded'), 0, orders.total_amount_usd) as amount_due_usd,
        if(payments.order_id is null, 0, payments.captured_amount_usd) as captured_amount_usd,
        if(payments.order_id is null, 0, payments.refunded_amount_usd) as refunded_amount_usd,
        greatest(orders.extracted_at, coalesce(payments.payments_loaded_at, orders.extracted_at)) as source_loaded_at
    from orders
    left join payments
        on payments.order_id = orders.order_id
    {% if is_incremental() %}
    where orders.order_id in (select order_id from touched_orders)
    {% endif %}

),

balanced as (

    select
        *,
        captured_amount - refunded_amount as net_paid_amount,
        captured_amount - refunded_amount - amount_due as amount_difference,
        captured_amount_usd - refunded_amount_usd as net_paid_amount_usd,
        captured_amount_usd - refunded_amount_usd - amount_due_usd as amount_difference_usd,
        -- what the provider split between the platform and the seller should add up to the net paid
        captured_amount - refunded_amount - platform_fee_amount - seller_payout_amount as fee_payout_difference,
        case
            when is_unknown_currency or captured_amount is null or refunded_amount is null then 'unknown-currency'
            when captured_amount - refunded_amount = amount_due then 'balanced'
            when captured_amount - refunded_amount < amount_due then 'underpaid'
            else 'overpaid'
        end as balance_status
    from compared

)

select
    *,
    case
        when has_replays then 'duplicate-replay-detected'
        when refund_count > 0 then 'refunded'
        when balance_status = 'unknown-currency' then 'unknown-currency'
        when invalid_amount_payment_count > 0 then 'invalid-payment-amount'
        when in_flight_payment_count > 0 and balance_status = 'underpaid' then 'in-flight'
        else balance_status
    end as reconciliation_status
from balanced
