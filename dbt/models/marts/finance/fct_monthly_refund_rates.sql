{#
    One row per order month (UTC order date) and main level-1 category of the order
    (fct_orders.main_level1_category_name, 'unknown' without lines), plus one row per month for all
    categories (level1_category_name = 'all'), from fct_payment_reconciliation. Refunds are counted
    in the month of the order they refund. A refund is either a refund row or a charge whose status
    became refunded (refund_count > 0, see int_payments__aggregated_to_orders); amounts are its
    captured_amount_usd and refunded_amount_usd.
      refund_order_rate  = refunded_order_count / NULLIF(paid_order_count, 0): paid orders (captured
                           money) with a refund, among paid orders
      refund_amount_rate = refunded_amount_usd / NULLIF(captured_amount_usd, 0)
    Amounts leave out orders whose payments cannot be converted to US dollars (counted in
    unconverted_order_count). A month without refunds has rates 0; NULL only without paid orders or
    captured money. Rates rounded to 4 decimals.
#}
with

reconciliation as (

    select * from {{ ref('fct_payment_reconciliation') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

order_payments as (

    select
        {{ month_start('reconciliation.order_date') }} as order_month,
        coalesce(orders.main_level1_category_name, 'unknown') as level1_category_name,
        coalesce(reconciliation.captured_amount_usd > 0, false) as is_paid,
        reconciliation.refund_count > 0 as has_refund,
        reconciliation.captured_amount_usd is not null and reconciliation.refunded_amount_usd is not null
            as is_converted,
        reconciliation.captured_amount_usd,
        reconciliation.refunded_amount_usd
    from reconciliation
    left join orders
        on orders.order_id = reconciliation.order_id

),

per_category as (

    select * from order_payments

    union all

    select
        order_month,
        'all' as level1_category_name,
        is_paid,
        has_refund,
        is_converted,
        captured_amount_usd,
        refunded_amount_usd
    from order_payments

),

aggregated as (

    select
        order_month,
        level1_category_name,
        count(*) as order_count,
        countif(is_paid) as paid_order_count,
        countif(is_paid and has_refund) as refunded_order_count,
        sum(if(is_converted, captured_amount_usd, 0)) as captured_amount_usd,
        sum(if(is_converted, refunded_amount_usd, 0)) as refunded_amount_usd,
        countif(not is_converted) as unconverted_order_count
    from per_category
    group by order_month, level1_category_name

)

select
    concat(cast(order_month as string), '|', level1_category_name) as refund_rate_id,
    order_month,
    level1_category_name,
    order_count,
    paid_order_count,
    refunded_order_count,
    round(refunded_order_count / nullif(paid_order_count, 0), 4) as refund_order_rate,
    captured_amount_usd,
    refunded_amount_usd,
    -- FLOAT64 on both engines (NUMERIC / NUMERIC stays NUMERIC on BigQuery only)
    round(cast(refunded_amount_usd as float64) / nullif(cast(captured_amount_usd as float64), 0), 4)
        as refund_amount_rate,
    unconverted_order_count
from aggregated
