{#
    fct_customer_cohorts against an oracle built another way, from fct_orders (one row per order):
    a buyer's cohort is the earliest month of their GMV-eligible orders, found with a window over the
    buyer's orders instead of the model's group-by and join. Every (cohort, activity month) cell must
    count the same buyers and orders, a cell without eligible orders must be a zero row, and every
    cohort must have the same size. Returns the disagreeing cells.
#}
with

eligible_orders as (

    select
        buyer_id,
        order_month,
        min(order_month) over (partition by buyer_id) as cohort_month
    from {{ ref('fct_orders') }}
    where is_gmv_eligible

),

expected_cells as (

    select
        cohort_month,
        order_month as activity_month,
        count(distinct buyer_id) as active_buyers,
        count(*) as order_count
    from eligible_orders
    group by cohort_month, order_month

),

expected_cohort_sizes as (

    select
        cohort_month,
        count(distinct buyer_id) as cohort_size
    from eligible_orders
    group by cohort_month

),

cohort_cells as (

    select
        cohort_month,
        activity_month,
        cohort_size,
        active_buyers,
        order_count
    from {{ ref('fct_customer_cohorts') }}

),

cohort_sizes as (

    select distinct
        cohort_month,
        cohort_size
    from cohort_cells

),

cell_differences as (

    select
        'cell' as difference,
        coalesce(cohort_cells.cohort_month, expected_cells.cohort_month) as cohort_month,
        coalesce(cohort_cells.activity_month, expected_cells.activity_month) as activity_month,
        cohort_cells.active_buyers,
        expected_cells.active_buyers as expected_active_buyers,
        cohort_cells.order_count,
        expected_cells.order_count as expected_order_count
    from cohort_cells
    full outer join expected_cells
        on expected_cells.cohort_month = cohort_cells.cohort_month
        and expected_cells.activity_month = cohort_cells.activity_month
    where cohort_cells.cohort_month is null
        or coalesce(expected_cells.active_buyers, 0) != cohort_cells.active_buyers
        or coalesce(expected_cells.order_count, 0) != cohort_cells.order_count

),

size_differences as (

    select
        'cohort_size' as difference,
        coalesce(cohort_sizes.cohort_month, expected_cohort_sizes.cohort_month) as cohort_month,
        cast(null as date) as activity_month,
        cohort_sizes.cohort_size as active_buyers,
        expected_cohort_sizes.cohort_size as expected_active_buyers,
        cast(null as int64) as order_count,
        cast(null as int64) as expected_order_count
    from cohort_sizes
    full outer join expected_cohort_sizes
        on expected_cohort_sizes.cohort_month = cohort_sizes.cohort_month
    where cohort_sizes.cohort_size is null
        or expected_cohort_sizes.cohort_size is null
        or cohort_sizes.cohort_size != expected_cohort_sizes.cohort_size

)

select * from cell_differences
union all
select * from size_differences
