{#
    After deduplication a provider event yields at most one completed (captured) payment.
#}
select
    event_id,
    count(*) as completed_payments
from {{ ref('stg_marketplace__payments') }}
where payment_status = 'completed'
group by event_id
having count(*) > 1
