-- The settings of one import, as a one-row temp table the `checked` view reads.
create or replace temp table import_params as
select
    $has_app::boolean as has_app,
    $default_app::varchar as default_app,
    $has_platform::boolean as has_platform,
    $default_platform::varchar as default_platform,
    $has_country::boolean as has_country,
    $default_country::varchar as default_country,
    $has_source::boolean as has_source,
    $default_source::varchar as default_source,
    $min_date::varchar as min_date,
    $max_date::varchar as max_date,
    $max_text::integer as max_text;
