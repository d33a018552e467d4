{#
    The data-quality rules of each stream, in words, as shown in mart_audit_daily.invalid_rule: the
    `words` of the stream's audit rules in the catalog (airbyte/streams/<stream>.yml), joined by '; '.
#}
{% macro audit_rule_descriptions() -%}
    {%- set descriptions = {} -%}
    {%- for stream in marketplace_streams() -%}
        {%- do descriptions.update({stream.name: stream.rules | map(attribute='words') | join('; ')}) -%}
    {%- endfor -%}
    {{ return(descriptions) }}
{%- endmacro %}

{% macro audit_rule_case(stream_column) -%}
    case {{ stream_column }}
    {%- for stream, rule in audit_rule_descriptions().items() %}
        when '{{ stream }}' then '{{ rule }}'
    {%- endfor %}
    end
{%- endmacro %}
