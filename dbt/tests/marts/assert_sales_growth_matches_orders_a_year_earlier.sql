{#
    fct_monthly_sales_growth recomputed from int_orders__enriched (the layer below fct_orders) with
    other SQL: months as integers (year * 12 + month), the prior year as that integer minus 12, the
    'all' row as the sum of the region rows, growth recomputed from the oracle's own sums. Returns the (month, region) cells where the mart
    and the oracle disagree on a value, or that only one of them has.
#}
with

orders as (

    select
        extract(year from order_date) * 12 + extract(month from order_date) - 1 as month_index,
        region,
        gmv_usd,
        is_gmv_eligible
    from {{ ref('int_orders__enriched') }}

),

by_region as (

    select
        month_index,
        region,
        sum(gmv_usd) as gmv_usd,
        count(*) as order_count
    from orders
    where is_gmv_eligible
    group by month_index, region

),

cells as (

    select * from by_region
    union all
    select month_index, 'all', sum(gmv_usd), sum(order_count)
    from by_region
    group by month_index

),

oracle as (

    select
        this_year.month_index,
        this_year.region,
        this_year.gmv_usd,
        this_year.order_count,
        prior_year.gmv_usd as prior_year_gmv_usd,
        prior_year.order_count as prior_year_order_count
    from cells as this_year
    left join cells as prior_year
        on prior_year.region = this_year.region
        and prior_year.month_index = this_year.month_index - 12

),

mart as (

    select
        extract(year from sales_month) * 12 + extract(month from sales_month) - 1 as month_index,
        *
    from {{ ref('fct_monthly_sales_growth') }}

)

select
    coalesce(mart.sales_month_region_id, concat(cast(oracle.month_index as string), '|', oracle.region)) as cell,
    mart.gmv_usd,
    oracle.gmv_usd as oracle_gmv_usd,
    mart.order_count,
    oracle.order_count as oracle_order_count,
    mart.gmv_yoy_growth,
    mart.prior_year_order_count,
    oracle.prior_year_order_count as oracle_prior_year_order_count
from oracle
full outer join mart
    on mart.month_index = oracle.month_index
    and mart.region = oracle.region
where oracle.region is null
   or mart.region is null
   or (
        abs(mart.gmv_usd - oracle.gmv_usd) > 0.01
        or mart.order_count != oracle.order_count
        or mart.prior_year_order_count is distinct from oracle.prior_year_order_count
        or (mart.prior_year_gmv_usd is null) != (oracle.prior_year_gmv_usd is null)
        or abs(mart.prior_year_gmv_usd - oracle.prior_year_gmv_usd) > 0.01
        or (mart.gmv_yoy_growth is null) != (coalesce(oracle.prior_year_gmv_usd, 0) = 0)
        or abs(mart.gmv_yoy_growth - (safe_divide(oracle.gmv_usd, oracle.prior_year_gmv_usd) - 1)) > 0.0001
   )
