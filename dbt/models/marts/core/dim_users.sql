{#
    One row per user account, soft-deleted accounts included (is_deleted). PII arrives masked from
    staging: email and names are salted SHA-256 hex digests of their trimmed lower-case value
    (stable join keys, not readable); only the email domain is in clear. A missing country becomes
    'unknown'.
    user_type is the current one. A user's type can change (a buyer starts selling, a seller stops):
    the marts never derive a role from it. Buyer facts key on orders.buyer_id and seller facts on
    order_items.seller_id, so past activity stays where it happened; is_buyer / is_seller describe
    the account today. previous_user_type and user_type_changed_at come from the history that
    snap_marketplace__users records each run (the source overwrites user_type in place): the type
    before the current one, and when the pipeline first saw the current one.
#}
with

users as (

    select * from {{ ref('stg_marketplace__users') }}

),

current_tiers as (

    select * from {{ ref('int_seller_tiers__historized') }}
    where is_current

),

orders as (

    select * from {{ ref('int_orders__enriched') }}

),

user_history as (

    select * from {{ ref('snap_marketplace__users') }}

),

previous_user_types as (

    -- the latest recorded version whose type differs from today's; a version closed by a country
    -- or tier change alone does not count as a type change
    select
        user_history.user_id,
        user_history.user_type as previous_user_type,
        user_history.dbt_valid_to as user_type_changed_at
    from user_history
    inner join users
        on users.user_id = user_history.user_id
    where user_history.dbt_valid_to is not null
        and user_history.user_type is distinct from users.user_type
    qualify row_number() over (partition by user_history.user_id order by user_history.dbt_valid_to desc) = 1

),

regions as (

    select * from {{ ref('country_regions') }}

),

buyer_orders as (

    select
        buyer_id,
        min(created_at) as first_order_at,
        max(created_at) as last_order_at,
        count(*) as order_count,
        countif(is_gmv_eligible) as gmv_order_count,
        sum(gmv_usd) as lifetime_gmv_usd
    from orders
    group by buyer_id

)

select
    users.user_id,
    users.email_sha256,
    users.email_domain,
    users.username_sha256,
    users.first_name_sha256,
    users.last_name_sha256,
    users.user_type,
    users.user_type in ('buyer', 'both') as is_buyer,
    users.user_type in ('seller', 'both') as is_seller,
    previous_user_types.previous_user_type,
    previous_user_types.user_type_changed_at,
    coalesce(users.country_code, 'unknown') as country_code,
    coalesce(regions.region, 'unknown') as region,
    users.seller_tier,
    current_tiers.seller_tier as history_seller_tier,
    -- NULL-safe: a seller who left the programme (no current period) while users still shows a tier,
    -- or the reverse, is out of sync too
    users.seller_tier is distinct from current_tiers.seller_tier as is_tier_out_of_sync_with_history,
    users.seller_rating,
    users.created_at,
    users.updated_at,
    users.deleted_at,
    users.is_deleted,
    users.is_active,
    users.is_future_dated,
    buyer_orders.first_order_at,
    buyer_orders.last_order_at,
    coalesce(buyer_orders.order_count, 0) as order_count,
    coalesce(buyer_orders.gmv_order_count, 0) as gmv_order_count,
    coalesce(buyer_orders.lifetime_gmv_usd, 0) as lifetime_gmv_usd
from users
left join current_tiers
    on current_tiers.seller_id = users.user_id
left join previous_user_types
    on previous_user_types.user_id = users.user_id
left join regions
    on regions.country_code = users.country_code
left join buyer_orders
    on buyer_orders.buyer_id = users.user_id
