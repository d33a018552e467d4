{#
    One row per seller and calendar month (UTC) in which the seller sold, was reviewed or changed
    tier. GMV, orders and units count GMV-eligible orders (var gmv_order_statuses). Each order line
    carries the seller's tier in effect when the order was placed (point-in-time join on
    int_seller_tiers__historized); primary_tier is the tier under which most of the month's GMV was
    made, tiers_in_effect lists every tier seen on the month's orders. average_rating covers approved
    reviews written that month on the seller's products.
#}
with

order_items as (

    select * from {{ ref('int_order_items__enriched') }}

),

seller_tiers as (

    select * from {{ ref('int_seller_tiers__historized') }}

),

reviews as (

    select * from {{ ref('stg_marketplace__reviews') }}

),

products as (

    select * from {{ ref('stg_marketplace__products') }}

),

lines as (

    select
        seller_id,
        {{ month_start('order_date') }} as sales_month,
        order_id,
        is_gmv_eligible,
        quantity,
        total_price_usd,
        coalesce(seller_tier_at_order, 'unknown') as seller_tier_at_order
    from order_items
    where seller_id is not null

),

sales as (

    select
        seller_id,
        sales_month,
        sum(if(is_gmv_eligible, coalesce(total_price_usd, 0), 0)) as gmv_usd,
        count(distinct if(is_gmv_eligible, order_id, null)) as order_count,
        sum(if(is_gmv_eligible, quantity, 0)) as units_sold,
        count(distinct order_id) as placed_order_count,
        string_agg(distinct seller_tier_at_order order by seller_tier_at_order) as tiers_in_effect
    from lines
    group by seller_id, sales_month

),

gmv_by_tier as (

    select
        seller_id,
        sales_month,
        seller_tier_at_order,
        sum(if(is_gmv_eligible, coalesce(total_price_usd, 0), 0)) as tier_gmv_usd
    from lines
    group by seller_id, sales_month, seller_tier_at_order

),

primary_tier as (

    select
        seller_id,
        sales_month,
        seller_tier_at_order as primary_tier
    from gmv_by_tier
    where true
    qualify row_number() over (
        partition by seller_id, sales_month order by tier_gmv_usd desc, seller_tier_at_order
    ) = 1

),

review_stats as (

    select
        products.seller_id,
        {{ month_start('date(reviews.created_at)') }} as sales_month,
        count(*) as approved_review_count,
        round(avg(reviews.rating), 2) as average_rating
    from reviews
    inner join products
        on products.product_id = reviews.product_id
    where reviews.review_status = 'approved'
    group by 1, 2

),

tier_changes as (

    select
        seller_id,
        {{ month_start('date(valid_from)') }} as sales_month,
        count(*) as tier_change_count
    from seller_tiers
    where previous_tier is not null
    group by 1, 2

),

seller_months as (

    select seller_id, sales_month from sales
    union distinct
    select seller_id, sales_month from review_stats
    union distinct
    select seller_id, sales_month from tier_changes

),

month_end_tiers as (

    select
        seller_months.seller_id,
        seller_months.sales_month,
        seller_tiers.seller_tier as tier_at_month_end
    from seller_months
    inner join seller_tiers
        on seller_tiers.seller_id = seller_months.seller_id
        -- in effect just before the first instant of the next month
        and seller_tiers.valid_from < timestamp(date_add(seller_months.sales_month, interval 1 month))
        and (
            seller_tiers.valid_to >= timestamp(date_add(seller_months.sales_month, interval 1 month))
            or seller_tiers.valid_to is null
        )

)

select
    concat(seller_months.seller_id, '|', cast(seller_months.sales_month as string)) as seller_month_id,
    seller_months.seller_id,
    seller_months.sales_month,
    coalesce(sales.gmv_usd, 0) as gmv_usd,
    coalesce(sales.order_count, 0) as order_count,
    coalesce(sales.units_sold, 0) as units_sold,
    coalesce(sales.placed_order_count, 0) as placed_order_count,
    cast(round(safe_divide(sales.gmv_usd, sales.order_count), 2) as {{ numeric_type() }}) as aov_usd,
    coalesce(review_stats.approved_review_count, 0) as approved_review_count,
    review_stats.average_rating,
    primary_tier.primary_tier,
    sales.tiers_in_effect,
    coalesce(month_end_tiers.tier_at_month_end, 'unknown') as tier_at_month_end,
    coalesce(tier_changes.tier_change_count, 0) as tier_change_count
from seller_months
left join sales
    on sales.seller_id = seller_months.seller_id
    and sales.sales_month = seller_months.sales_month
left join primary_tier
    on primary_tier.seller_id = seller_months.seller_id
    and primary_tier.sales_month = seller_months.sales_month
left join review_stats
    on review_stats.seller_id = seller_months.seller_id
    and review_stats.sales_month = seller_months.sales_month
left join tier_changes
    on tier_changes.seller_id = seller_months.seller_id
    and tier_changes.sales_month = seller_months.sales_month
left join month_end_tiers
    on month_end_tiers.seller_id = seller_months.seller_id
    and month_end_tiers.sales_month = seller_months.sales_month
