{#
    Generic test: every row satisfies the boolean SQL `expression` (optionally only rows matching
    `condition`). With `column_name` the expression is appended to the column, e.g. `>= 0`.
#}
{% test expression_is_true(model, expression, column_name=none, condition='true') %}
select *
from {{ model }}
where ({{ condition }})
  and not coalesce(({{ column_name ~ ' ' if column_name else '' }}{{ expression }}), false)
{% endtest %}
