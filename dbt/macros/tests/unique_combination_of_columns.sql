{#
    Generic test: the columns in `combination_of_columns` together identify a row (the grain of a
    model without a single-column key). NULLs are compared as values.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select
    {% for column in combination_of_columns %}{{ column }}, {% endfor %}
    count(*) as n_rows
from {{ model }}
group by {% for column in combination_of_columns %}{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
having count(*) > 1
{% endtest %}
