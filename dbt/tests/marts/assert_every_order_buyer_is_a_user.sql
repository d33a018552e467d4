{#
    Every fct_orders.buyer_id names a dim_users row. The column's relationships test only warns
    (streams sync one after another); at the marts, where both are built from the same run, an
    order whose buyer the marts do not know is an error. Returns the orphan orders.
#}
with

orders as (select order_id, buyer_id from {{ ref('fct_orders') }}),

users as (select user_id from {{ ref('dim_users') }})

select
    orders.order_id,
    orders.buyer_id
from orders
left join users
    on users.user_id = orders.buyer_id
where orders.buyer_id is not null
    and users.user_id is null
