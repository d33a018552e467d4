{#
    fct_customer_lifetime_value recomputed from the order lines (int_order_items__enriched, below
    fct_orders): a buyer's lifetime GMV is the dollar value of the lines of their GMV-eligible
    orders, their orders and first / last dates are counted from the lines' distinct orders, per
    buyer with window functions instead of a GROUP BY. Returns the buyers where the mart and the
    oracle disagree, or that only one of them has.
#}
with

eligible_lines as (

    select
        buyer_id,
        order_id,
        order_date,
        coalesce(total_price_usd, 0) as line_gmv_usd
    from {{ ref('int_order_items__enriched') }}
    where is_gmv_eligible
      and buyer_id is not null

),

oracle as (

    select distinct
        buyer_id,
        count(distinct order_id) over (partition by buyer_id) as order_count,
        sum(line_gmv_usd) over (partition by buyer_id) as lifetime_gmv_usd,
        min(order_date) over (partition by buyer_id) as first_order_date,
        max(order_date) over (partition by buyer_id) as last_order_date
    from eligible_lines

),

mart as (

    select * from {{ ref('fct_customer_lifetime_value') }}

)

select
    coalesce(mart.buyer_id, oracle.buyer_id) as buyer_id,
    mart.order_count,
    oracle.order_count as oracle_order_count,
    mart.lifetime_gmv_usd,
    oracle.lifetime_gmv_usd as oracle_lifetime_gmv_usd
from mart
full outer join oracle
    on oracle.buyer_id = mart.buyer_id
where mart.buyer_id is null
   or oracle.buyer_id is null
   or mart.order_count != oracle.order_count
   or abs(mart.lifetime_gmv_usd - oracle.lifetime_gmv_usd) > 0.01
   or mart.first_order_date != oracle.first_order_date
   or mart.last_order_date != oracle.last_order_date
   or mart.tenure_days != date_diff(oracle.last_order_date, oracle.first_order_date, day)
   or abs(mart.aov_usd - oracle.lifetime_gmv_usd / oracle.order_count) > 0.01
