update imports set archive_path = $archive_path where import_id = $import_id;
