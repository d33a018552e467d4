{#
    mart_audit_daily.nb_total against the staging relations it is built from, counted directly
    (the oracle: one count per staging model and UTC load date, without the validation union): per
    stream and load date the mart counts exactly the rows staging holds, so the audit drops, doubles
    and invents nothing. Payments count every delivery (base model, replays included): each stream's
    relation is the one its catalog entry audits (marketplace_streams()), less the rows its
    `audit.where` leaves out (payments deleted at the source). Returns the
    disagreeing (stream, load_date) pairs.
#}
with

staged_rows as (

    {%- for stream in marketplace_streams() %}
    select '{{ stream.name }}' as stream, date(extracted_at) as load_date, count(*) as staged_rows
    from {{ ref(stream.audit_model) }}
    {%- if stream.audit_where %}
    where {{ stream.audit_where }}
    {%- endif %}
    group by 2
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

audited_rows as (

    select
        stream,
        load_date,
        nb_total
    from {{ ref('mart_audit_daily') }}

)

select
    coalesce(staged_rows.stream, audited_rows.stream) as stream,
    coalesce(staged_rows.load_date, audited_rows.load_date) as load_date,
    staged_rows.staged_rows,
    audited_rows.nb_total
from staged_rows
full outer join audited_rows
    on audited_rows.stream = staged_rows.stream
    and audited_rows.load_date = staged_rows.load_date
where coalesce(staged_rows.staged_rows, 0) != coalesce(audited_rows.nb_total, 0)
