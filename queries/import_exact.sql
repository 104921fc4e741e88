-- The exact pass: every checked value with its messages, for located errors.
create or replace temp table typed as select * from checked;
