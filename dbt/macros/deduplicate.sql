{#
    One row per `partition_by` key from `relation` (a ref, source or CTE name): the first row in
    `order_by` order. Written as QUALIFY (the `where true` keeps BigQuery's "QUALIFY needs a WHERE,
    GROUP BY or HAVING" rule satisfied on every engine version).
#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    where true
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}
