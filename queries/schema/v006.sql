-- installpulse schema version 6 (formats, issue 12): catalogue entries for store exports that
-- installpulse now reads. Metrics only; no table changes.
insert into metrics (metric, kind, unit, is_integer, is_signed, definition)
select * from (values
    ('current_device_installs', 'level', 'devices', true, false, 'Google Play Current Device Installs (reports before December 2016): devices with the app installed, including devices not active for months; a level, never summed over days. Not the same as active_devices.'),
    ('current_user_installs', 'level', 'users', true, false, 'Google Play Current User Installs (reports before December 2016): users with the app installed on at least one device; a level, never summed over days.'),
    ('download_first_time', 'event', 'downloads', true, false, 'App Store App Downloads report: first-time downloads (Counts, Download Type = First-time download).'),
    ('download_redownloads', 'event', 'downloads', true, false, 'App Store App Downloads report: redownloads (Counts, Download Type = Redownload).'),
    ('download_manual_updates', 'event', 'downloads', true, false, 'App Store App Downloads report: manual updates (Counts, Download Type = Manual update).'),
    ('download_auto_updates', 'event', 'downloads', true, false, 'App Store App Downloads report: automatic updates (Counts, Download Type = Auto-update).'),
    ('download_restores', 'event', 'downloads', true, false, 'App Store App Downloads report: restores (Counts, Download Type = Restore).'),
    ('download_total', 'event', 'downloads', true, false, 'App Store App Downloads report: first-time downloads + redownloads (Apple''s Total Downloads).')
) as m(metric, kind, unit, is_integer, is_signed, definition)
anti join metrics using (metric);
