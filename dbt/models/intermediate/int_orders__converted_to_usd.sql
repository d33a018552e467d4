{{ config(materialized='table') }}

{#
    Orders with their amounts in US dollars at the rate in effect on the order date (UTC date of
    created_at). A currency that the FX seed does not know gets NULL dollar amounts and
    is_unknown_currency = true: it is never converted at 0 or 1.
#}
with

orders as (

    select * from {{ ref('stg_marketplace__orders') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates__date_ranged') }}

),

known_currencies as (

    select distinct currency from fx_rates

),

dated as (

    select
        *,
        date(created_at) as order_date
    from orders

)

select
    dated.order_id,
    dated.order_number,
    dated.buyer_id,
    dated.order_status,
    dated.order_date,
    dated.created_at,
    dated.updated_at,
    dated.confirmed_at,
    dated.confirmed_at_local,
    dated.shipped_at,
    dated.delivered_at,
    dated.currency,
    dated.subtotal_amount,
    dated.shipping_amount,
    dated.tax_amount,
    dated.discount_amount,
    dated.total_amount,
    dated.expected_total_amount,
    dated.shipping_country,
    dated.shipping_city,
    dated.shipping_postal_code,
    known_currencies.currency is null as is_unknown_currency,
    fx_rates.rate_to_usd as fx_rate_to_usd,
    {{ to_usd('dated.subtotal_amount', 'fx_rates.rate_to_usd') }} as subtotal_amount_usd,
    {{ to_usd('dated.shipping_amount', 'fx_rates.rate_to_usd') }} as shipping_amount_usd,
    {{ to_usd('dated.tax_amount', 'fx_rates.rate_to_usd') }} as tax_amount_usd,
    {{ to_usd('dated.discount_amount', 'fx_rates.rate_to_usd') }} as discount_amount_usd,
    {{ to_usd('dated.total_amount', 'fx_rates.rate_to_usd') }} as total_amount_usd,
    dated.is_total_mismatch,
    dated.is_confirmed_at_suspect,
    dated.is_future_dated,
    dated.extracted_at
from dated
left join known_currencies
    on known_currencies.currency = dated.currency
left join fx_rates
    on fx_rates.currency = dated.currency
    and dated.order_date >= fx_rates.valid_from
    and (dated.order_date < fx_rates.valid_to or fx_rates.valid_to is null)
