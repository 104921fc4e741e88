-- The rebuilt spike episodes (the registered frame precompute_frame).
insert into overview_episodes by name select * from precompute_frame;
