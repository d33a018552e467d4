{#
    Parcels summed per order. An order is fully delivered when every parcel has a delivery scan and
    none was declared lost (a returned parcel was delivered first). A delivery scan earlier than its
    pickup scan (a carrier clock error) is counted, and leaves the order's delivery times untrusted.
#}
with

shipments as (

    select * from {{ ref('stg_marketplace__shipments') }}

)

select
    order_id,
    count(*) as shipment_count,
    countif(delivered_at is not null) as delivered_shipment_count,
    countif(shipment_status = 'lost') as lost_shipment_count,
    string_agg(distinct carrier order by carrier) as carriers,
    min(shipped_at) as first_shipped_at,
    max(delivered_at) as last_delivered_at,
    logical_and(delivered_at is not null and shipment_status != 'lost') as is_fully_delivered,
    logical_or(is_delivered_before_shipped) as has_delivered_before_shipped,
    max(extracted_at) as shipments_loaded_at
from shipments
group by order_id
