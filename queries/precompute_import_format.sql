-- The format of one import: whether its adapter rewrites other imports' rows (App Store
-- segments), so every series of the identifiers it touched counts as changed.
select format from imports where import_id = $import_id;
