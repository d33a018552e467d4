{#
    Amount in US dollars, rounded to cents. `rate_to_usd` is USD per one unit of the amount's currency
    (seeds/fx_rates.csv). A NULL rate (unknown currency) gives NULL, never 0.
#}
{% macro to_usd(amount_expr, rate_expr) -%}
    round(cast({{ amount_expr }} as {{ numeric_type() }}) * {{ rate_expr }}, 2)
{%- endmacro %}

{#
    The NUMERIC type to cast to. Written with its precision and scale because the BigQuery
    emulator reads a bare `NUMERIC` in a CAST as DuckDB's DECIMAL(18,3) and cuts every value to
    three decimals (FX rates lost their last digits). NUMERIC(38, 9) is BigQuery's own NUMERIC range,
    so on BigQuery the result is the same plain NUMERIC.
#}
{% macro numeric_type() -%}
    numeric(38, 9)
{%- endmacro %}
