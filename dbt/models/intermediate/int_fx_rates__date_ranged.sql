{{ config(materialized='table') }}

{#
    The FX seed as validity ranges: each rate applies from its valid_from (inclusive) to the next
    rate's valid_from for the same currency (exclusive); the latest rate is open-ended.
#}
with

rates as (

    select
        upper(trim(currency)) as currency,
        cast(rate_to_usd as {{ numeric_type() }}) as rate_to_usd,
        cast(valid_from as date) as valid_from
    from {{ ref('fx_rates') }}

)

select
    concat(currency, ':', cast(valid_from as string)) as fx_rate_id,
    currency,
    rate_to_usd,
    valid_from,
    lead(valid_from) over (partition by currency order by valid_from) as valid_to,
    lead(valid_from) over (partition by currency order by valid_from) is null as is_current
from rates
