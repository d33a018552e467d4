{#
    Amount in US dollars, rounded to cents. `rate_to_usd` is USD per one unit of the amount's currency
    (seeds/fx_rates.csv). A NULL rate (unknown currency) gives NULL, never 0.
#}
{% macro to_usd(amount_expr, rate_expr) -%}
    round(cast({{ amount_expr }} as numeric) * {{ rate_expr }}, 2)
{%- endmacro %}
