-- The apps and days of an App Store Installation and Deletion file being imported (temp table
-- apple_rows, apple_installs.py): the units its rows are compared on with stored files.
create or replace temp table apple_units as
select distinct date_key, app_key, try_cast(date_key as date) as day
from apple_rows
where date_key is not null and app_key is not null;
