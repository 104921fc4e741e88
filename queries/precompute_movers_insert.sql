-- The rebuilt top movers (the registered frame precompute_frame).
insert into overview_movers by name select * from precompute_frame;
