{#
    dim_date's range is fixed (vars dim_date_start_date / dim_date_end_date): every order date in
    fct_orders must have its day. Returns the order dates dim_date is missing.
#}
select distinct orders.order_date
from {{ ref('fct_orders') }} as orders
left join {{ ref('dim_date') }} as days
    on days.date_day = orders.order_date
where days.date_day is null
