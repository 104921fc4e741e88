-- The country codes the rules accept and hints for well-known wrong ones, as the temp table
-- `import_countries` that ip_country_error reads (queries/import_rules.sql). The lists come
-- from pycountry through pipelines/countries.py and are bound, never written into SQL text:
-- one row per accepted code (`accepted`, no hint) and per known wrong spelling such as UK,
-- USA or GERMANY (not accepted, with the hint naming the ISO code).
create or replace temp table import_countries as
select
    unnest($country_keys::varchar[]) as country,
    unnest($country_accepted::boolean[]) as accepted,
    unnest($country_hints::varchar[]) as hint;
