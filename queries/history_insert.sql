insert into imports (import_id, file_name, sha256, format, status, options, encoding)
values (nextval('import_id_seq'), $file_name, $sha256, $format, $status, $options, $encoding)
returning import_id;
