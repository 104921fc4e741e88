-- The Overview's stored rankings are rebuilt whole after every change (a few hundred rows).
delete from overview_movers;
delete from overview_episodes;
