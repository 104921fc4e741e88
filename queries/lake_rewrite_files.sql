-- Data files whose rows restatements mostly deleted, rewritten without them.
select count(*) from ducklake_rewrite_data_files('lake')
