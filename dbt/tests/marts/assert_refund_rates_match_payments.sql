{#
    fct_monthly_refund_rates recomputed from the layer below fct_payment_reconciliation: every order
    of int_orders__enriched with its payments summed in int_payments__aggregated_to_orders (no
    payment row = nothing captured, nothing refunded), months from the calendar fields, the 'all'
    row as the sum of the category rows and the rates from the oracle's own sums. Returns the
    (month, category) cells where the mart and the oracle disagree, or that only one of them has.
#}
with

orders as (

    select * from {{ ref('int_orders__enriched') }}

),

payments as (

    select * from {{ ref('int_payments__aggregated_to_orders') }}

),

order_refunds as (

    select
        date(extract(year from orders.order_date), extract(month from orders.order_date), 1) as order_month,
        ifnull(orders.main_level1_category_name, 'unknown') as level1_category_name,
        ifnull(payments.captured_amount_usd, if(payments.order_id is null, 0, null)) as captured_usd,
        ifnull(payments.refunded_amount_usd, if(payments.order_id is null, 0, null)) as refunded_usd,
        ifnull(payments.refund_count, 0) as refund_count
    from orders
    left join payments
        on payments.order_id = orders.order_id

),

by_category as (

    select
        order_month,
        level1_category_name,
        count(*) as order_count,
        sum(if(captured_usd > 0, 1, 0)) as paid_order_count,
        sum(if(captured_usd > 0 and refund_count > 0, 1, 0)) as refunded_order_count,
        sum(case when captured_usd is not null and refunded_usd is not null then captured_usd else 0 end) as captured_usd,
        sum(case when captured_usd is not null and refunded_usd is not null then refunded_usd else 0 end) as refunded_usd
    from order_refunds
    group by order_month, level1_category_name

),

oracle as (

    select * from by_category
    union all
    select
        order_month,
        'all',
        sum(order_count),
        sum(paid_order_count),
        sum(refunded_order_count),
        sum(captured_usd),
        sum(refunded_usd)
    from by_category
    group by order_month

),

mart as (

    select * from {{ ref('fct_monthly_refund_rates') }}

)

select
    coalesce(mart.refund_rate_id, concat(cast(oracle.order_month as string), '|', oracle.level1_category_name)) as cell,
    mart.refunded_order_count,
    oracle.refunded_order_count as oracle_refunded_order_count,
    mart.refunded_amount_usd,
    oracle.refunded_usd as oracle_refunded_amount_usd
from mart
full outer join oracle
    on oracle.order_month = mart.order_month
    and oracle.level1_category_name = mart.level1_category_name
where mart.order_month is null
   or oracle.order_month is null
   or mart.order_count != oracle.order_count
   or mart.paid_order_count != oracle.paid_order_count
   or mart.refunded_order_count != oracle.refunded_order_count
   or abs(mart.captured_amount_usd - oracle.captured_usd) > 0.01
   or abs(mart.refunded_amount_usd - oracle.refunded_usd) > 0.01
   or abs(ifnull(mart.refund_order_rate, -1) - ifnull(safe_divide(oracle.refunded_order_count, oracle.paid_order_count), -1)) > 0.0001
   or abs(ifnull(mart.refund_amount_rate, -1) - ifnull(safe_divide(oracle.refunded_usd, oracle.captured_usd), -1)) > 0.0001
