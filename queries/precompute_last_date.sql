-- The newest day of data in the database (NULL when it is empty): stored scores cover the
-- days from this minus STORED_DAYS - 1 on.
select max(date) from observations;
