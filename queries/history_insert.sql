insert into imports (import_id, file_name, sha256, format, status, options, encoding,
                     imported_by)
values (nextval('import_id_seq'), $file_name, $sha256, $format, $status, $options, $encoding,
        $actor)
returning import_id;
