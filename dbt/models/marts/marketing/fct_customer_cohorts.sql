{#
    One row per acquisition cohort (month of a buyer's first GMV-eligible order, UTC) and month since
    that first order (0 = the cohort month itself), up to the latest month with orders. Dense: months
    without activity are present with zeros. retention_rate = active_buyers / cohort_size.
#}
with

orders as (

    select
        buyer_id,
        {{ month_start('order_date') }} as order_month,
        gmv_usd
    from {{ ref('int_orders__enriched') }}
    where is_gmv_eligible

),

first_orders as (

    select
        buyer_id,
        min(order_month) as cohort_month
    from orders
    group by buyer_id

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_size
    from first_orders
    group by cohort_month

),

activity as (

    select
        first_orders.cohort_month,
        {{ months_between('first_orders.cohort_month', 'orders.order_month') }} as months_since_first_order,
        count(distinct orders.buyer_id) as active_buyers,
        count(*) as order_count,
        sum(orders.gmv_usd) as revenue_usd
    from orders
    inner join first_orders
        on first_orders.buyer_id = orders.buyer_id
    group by 1, 2

),

grid as (

    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        months_since_first_order
    from cohort_sizes
    cross join (select max(order_month) as last_month from orders) as bounds
    cross join unnest(
        generate_array(0, {{ months_between('cohort_sizes.cohort_month', 'bounds.last_month') }})
    ) as months_since_first_order

)

select
    concat(cast(grid.cohort_month as string), '|', cast(grid.months_since_first_order as string)) as cohort_period_id,
    grid.cohort_month,
    grid.months_since_first_order,
    date_add(grid.cohort_month, interval grid.months_since_first_order month) as activity_month,
    grid.cohort_size,
    coalesce(activity.active_buyers, 0) as active_buyers,
    round(coalesce(activity.active_buyers, 0) / grid.cohort_size, 4) as retention_rate,
    coalesce(activity.order_count, 0) as order_count,
    coalesce(activity.revenue_usd, 0) as revenue_usd,
    sum(coalesce(activity.revenue_usd, 0)) over (
        partition by grid.cohort_month order by grid.months_since_first_order
        rows between unbounded preceding and current row
    ) as cumulative_revenue_usd
from grid
left join activity
    on activity.cohort_month = grid.cohort_month
    and activity.months_since_first_order = grid.months_since_first_order
