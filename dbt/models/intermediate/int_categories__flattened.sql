{{ config(materialized='table') }}

{#
    Every category with its level-1 (top) and level-2 ancestors, walking parent_category_id from the
    roots. Categories that cannot be reached from a root (missing parent, cycle) are kept with
    is_orphan = true and NULL ancestors, so products in them are never dropped.
#}
with recursive

categories as (

    select * from {{ ref('stg_marketplace__categories') }}

),

tree as (

    select
        category_id,
        1 as depth,
        category_id as level1_category_id,
        category_name as level1_category_name,
        cast(null as int64) as level2_category_id,
        cast(null as string) as level2_category_name,
        category_name as category_path
    from categories
    where parent_category_id is null

    union all

    select
        child.category_id,
        parent.depth + 1 as depth,
        parent.level1_category_id,
        parent.level1_category_name,
        if(parent.depth = 1, child.category_id, parent.level2_category_id) as level2_category_id,
        if(parent.depth = 1, child.category_name, parent.level2_category_name) as level2_category_name,
        concat(parent.category_path, ' > ', child.category_name) as category_path
    from tree as parent
    inner join categories as child
        on child.parent_category_id = parent.category_id
    where parent.depth < 10

)

select
    categories.category_id,
    categories.category_name,
    categories.category_slug,
    categories.parent_category_id,
    categories.category_level,
    categories.is_active,
    tree.depth as tree_depth,
    tree.level1_category_id,
    tree.level1_category_name,
    tree.level2_category_id,
    tree.level2_category_name,
    tree.category_path,
    tree.category_id is null as is_orphan
from categories
left join tree
    on tree.category_id = categories.category_id
