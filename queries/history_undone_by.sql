-- Who undid an import (import_undo.sql has marked it undone in the same transaction).
update imports set undone_by = $actor where import_id = $import_id;
