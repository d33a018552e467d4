{#
    One row per calendar month (UTC order month) and region, plus one row per month for all regions
    together (region = 'all'): GMV, GMV-eligible orders and AOV against the same month one year
    earlier. GMV and orders are read from fct_orders (gmv_usd of its GMV-eligible orders, the
    definition every mart shares); aov_usd = gmv_usd / order_count.
    A (month, region) has a row when the region had a GMV-eligible order that month. prior_year_*
    is NULL when the same region had no eligible order in the month a year earlier (or the data
    starts later). Growth = (this year - prior year) / NULLIF(prior year, 0), rounded to 4
    decimals: NULL without a prior-year value (or when it is 0).
#}
with

orders as (

    select * from {{ ref('fct_orders') }}

),

eligible_orders as (

    select
        order_month as sales_month,
        region,
        gmv_usd
    from orders
    where is_gmv_eligible

),

sales_by_region as (

    select
        sales_month,
        region,
        sum(gmv_usd) as gmv_usd,
        count(*) as order_count
    from eligible_orders
    group by sales_month, region

    union all

    select
        sales_month,
        'all' as region,
        sum(gmv_usd) as gmv_usd,
        count(*) as order_count
    from eligible_orders
    group by sales_month

),

monthly as (

    select
        sales_month,
        region,
        gmv_usd,
        order_count,
        cast(round(safe_divide(gmv_usd, order_count), 2) as {{ numeric_type() }}) as aov_usd
    from sales_by_region

),

compared as (

    select
        this_year.sales_month,
        this_year.region,
        this_year.gmv_usd,
        this_year.order_count,
        this_year.aov_usd,
        date_sub(this_year.sales_month, interval 1 year) as prior_year_month,
        prior_year.gmv_usd as prior_year_gmv_usd,
        prior_year.order_count as prior_year_order_count,
        prior_year.aov_usd as prior_year_aov_usd
    from monthly as this_year
    left join monthly as prior_year
        on prior_year.region = this_year.region
        and prior_year.sales_month = date_sub(this_year.sales_month, interval 1 year)

)

select
    concat(cast(sales_month as string), '|', region) as sales_month_region_id,
    sales_month,
    region,
    gmv_usd,
    order_count,
    aov_usd,
    prior_year_month,
    prior_year_gmv_usd,
    prior_year_order_count,
    prior_year_aov_usd,
    -- ratios are FLOAT64 on both engines (NUMERIC / NUMERIC stays NUMERIC on BigQuery only)
    round(cast(gmv_usd - prior_year_gmv_usd as float64) / nullif(cast(prior_year_gmv_usd as float64), 0), 4)
        as gmv_yoy_growth,
    round((order_count - prior_year_order_count) / nullif(prior_year_order_count, 0), 4) as order_count_yoy_growth,
    round(cast(aov_usd - prior_year_aov_usd as float64) / nullif(cast(prior_year_aov_usd as float64), 0), 4)
        as aov_yoy_growth
from compared
