{#
    FX coverage: every order and order line in a currency the FX seed knows must find a rate on its
    order date (a known currency without a rate would silently drop out of dollar totals). Returns
    the uncovered rows. Unknown currencies are expected to stay unconverted and are not returned.
#}
select 'order' as row_kind, order_id as row_id, currency, order_date
from {{ ref('int_orders__converted_to_usd') }}
where not is_unknown_currency
  and fx_rate_to_usd is null

union all

select 'order_item', order_item_id, currency, order_date
from {{ ref('int_order_items__enriched') }}
where not is_unknown_currency
  and fx_rate_to_usd is null
