{#
    Salted SHA-256 of a trimmed, lower-cased string, as lower-case hex; NULL stays NULL. Masks PII
    (emails, names) in marts while keeping a stable join key. The salt (env PII_HASH_SECRET, set by
    the platform's settings; generated per deployment) keeps a reader of the marts from recovering
    a value by hashing candidates (a list of known emails). It is visible in compiled SQL and job
    history, so it protects the marts' readers, not the warehouse's administrators.
#}
{% macro sha256_hex(expression) -%}
    {%- set salt = env_var('PII_HASH_SECRET', '') -%}
    to_hex(sha256(concat({{ pii_salt_literal(salt) }}, lower(trim({{ expression }})))))
{%- endmacro %}

{# A BigQuery string literal of the salt (backslashes and quotes escaped). #}
{% macro pii_salt_literal(salt) -%}
    '{{ salt | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
