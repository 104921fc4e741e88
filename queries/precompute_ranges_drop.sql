drop table precompute_ranges;
