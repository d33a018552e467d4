{#
    One row per buyer (buyer_id) with at least one GMV-eligible order: the buyer's lifetime value on
    the same orders and the same GMV as every other mart (fct_orders: gmv_usd of GMV-eligible orders,
    US dollars). aov_usd = lifetime_gmv_usd / order_count; tenure_days = days from the first to the
    last eligible order (0 for a single order). Buyers without an eligible order have no row.
#}
with

eligible_orders as (

    select
        buyer_id,
        order_id,
        order_date,
        gmv_usd
    from {{ ref('fct_orders') }}
    where is_gmv_eligible
      and buyer_id is not null

),

per_buyer as (

    select
        buyer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as order_count,
        sum(gmv_usd) as lifetime_gmv_usd
    from eligible_orders
    group by buyer_id

)

select
    buyer_id,
    first_order_date,
    last_order_date,
    {{ month_start('first_order_date') }} as first_order_month,
    order_count,
    lifetime_gmv_usd,
    cast(round(safe_divide(lifetime_gmv_usd, order_count), 2) as {{ numeric_type() }}) as aov_usd,
    date_diff(last_order_date, first_order_date, day) as tenure_days,
    order_count > 1 as is_repeat_buyer
from per_buyer
