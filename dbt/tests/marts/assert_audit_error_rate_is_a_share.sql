{#
    mart_audit_daily.error_rate is a share of the day's rows: between 0 and 1, and NULL only when
    the day delivered no row. Returns the rows outside that range.
#}
select
    audit_daily_id,
    nb_total,
    nb_invalid,
    error_rate
from {{ ref('mart_audit_daily') }}
where error_rate < 0
    or error_rate > 1
    or (error_rate is null and nb_total > 0)
