-- The ranges to recompute (the registered frame precompute_ranges_frame: series_id,
-- first_date, last_date) as a temp table the delete and the values read join.
create or replace temp table precompute_ranges as
select series_id, first_date, last_date from precompute_ranges_frame;
