-- installpulse schema version 8 (issue 13, sign-in and roles): every write records who did it.
-- An actor is what pipelines/auth.py records: a signed-in user's verified e-mail, `sub:<sub>`
-- when the provider gives no e-mail, or `local:<os user>` for the CLI and the app without
-- sign-in. Rows written before version 8 keep NULL here: who wrote them was not recorded.
-- DuckDB 1.5 (issue 13): ADD COLUMN without a constraint, and no SET NOT NULL in a migration.
alter table events add column created_by varchar;
alter table events add column updated_by varchar;
alter table imports add column imported_by varchar;
alter table imports add column undone_by varchar;
alter table connections add column created_by varchar;
