{#
    Type-2 history of the user attributes that the source overwrites in place: user type, country and
    seller tier (check strategy). Each pipeline run compares the current values with the last
    snapshot, so changes that seller_tier_history never records (a tier set directly on users, a
    country move, a buyer becoming `both`) are kept. Only non-PII columns are captured.
#}
{% snapshot snap_marketplace__users %}

{{
    config(
        unique_key='user_id',
        strategy='check',
        check_cols=['user_type', 'country_code', 'seller_tier'],
        hard_deletes='ignore',
    )
}}

select
    user_id,
    user_type,
    country_code,
    seller_tier,
    is_deleted,
    updated_at
from {{ ref('stg_marketplace__users') }}

{% endsnapshot %}
