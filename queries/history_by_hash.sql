select import_id from imports where sha256 = $sha256 and status = 'ok' order by import_id limit 1;
