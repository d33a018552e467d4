{#
    Trimmed string, or NULL when the source wrote a placeholder instead of leaving the value empty.
    Placeholders are compared trimmed and case-insensitively: '', 'N/A', 'NULL', 'null', 'none'.
    (Two-letter codes such as 'NA' for Namibia are real values and are never treated as placeholders.)
#}
{% macro null_if_sentinel(expression, sentinels=none) -%}
    {%- set sentinels = sentinels if sentinels is not none else ['', 'n/a', 'null', 'none'] -%}
    case
        when lower(trim({{ expression }})) in (
            {%- for s in sentinels %}'{{ s | lower }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        ) then null
        else trim({{ expression }})
    end
{%- endmacro %}
