{#
    Lower-case SHA-256 hex of a trimmed, lower-cased string; NULL stays NULL. Used to mask PII
    (emails, names) in marts while keeping a stable join key.
#}
{% macro sha256_hex(expression) -%}
    to_hex(sha256(lower(trim({{ expression }}))))
{%- endmacro %}
