{#
    Generic test for type-2 history (valid_from inclusive, valid_to exclusive, NULL = open):
    per `partition_by` key, versions ordered by `lower_bound` must neither overlap nor leave a gap
    (each version ends exactly where the next begins), only the last one may be open, and every
    version must end after it starts. Returns the offending versions.
#}
{% test contiguous_validity_ranges(model, partition_by, lower_bound='valid_from', upper_bound='valid_to') %}
with ordered as (
    select
        {{ partition_by }} as range_key,
        {{ lower_bound }} as lower_bound,
        {{ upper_bound }} as upper_bound,
        lead({{ lower_bound }}) over (
            partition by {{ partition_by }} order by {{ lower_bound }}
        ) as next_lower_bound
    from {{ model }}
)

select *
from ordered
where
    -- an open version that is not the last one, or a closed version followed by nothing is fine
    (upper_bound is null and next_lower_bound is not null)
    -- overlap (next starts before this ends) or gap (next starts after this ends)
    or (upper_bound is not null and next_lower_bound is not null and next_lower_bound != upper_bound)
    or (upper_bound is not null and upper_bound <= lower_bound)
{% endtest %}
