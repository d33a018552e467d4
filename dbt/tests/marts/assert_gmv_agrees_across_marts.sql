{#
    GMV is defined once (docs/dbt-models.md) and must add up to the same total in the order, daily
    sales, seller and cohort marts. Returns the marts whose total differs from fct_orders.
#}
with totals as (

    select 'fct_orders' as mart, sum(gmv_usd) as gmv_usd from {{ ref('fct_orders') }}
    union all
    select 'fct_daily_sales', sum(gmv_usd) from {{ ref('fct_daily_sales') }}
    union all
    select 'fct_seller_performance', sum(gmv_usd) from {{ ref('fct_seller_performance') }}
    union all
    select 'fct_customer_cohorts', sum(revenue_usd) from {{ ref('fct_customer_cohorts') }}

)

select
    totals.mart,
    totals.gmv_usd,
    orders.gmv_usd as fct_orders_gmv_usd
from totals
cross join (select gmv_usd from totals where mart = 'fct_orders') as orders
where abs(coalesce(totals.gmv_usd, 0) - coalesce(orders.gmv_usd, 0)) > 0.01
