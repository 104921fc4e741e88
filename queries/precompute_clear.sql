-- Every stored score (a rebuild, or a database left empty by an undo).
delete from spike_scores;
