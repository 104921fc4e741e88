-- The import rules (RELIABILITY.md 3.2), once, as temp macros. Two passes apply them:
-- the exact pass to every staged cell (view `checked`, located messages), the fast pass to
-- every distinct key and date text (a 42M-row file has 40,000 keys and 1,095 dates), so a
-- rule cannot drift between them. Each *_error macro is NULL when the field is fine.

-- Normalisation: how a raw field becomes the stored key.
create or replace temp macro ip_app(raw) as nfc_normalize(trim(raw));
create or replace temp macro ip_platform(raw) as lower(trim(raw));
create or replace temp macro ip_country(raw) as upper(trim(raw));
-- (a fast path before the regular expression: most metric names are already canonical)
create or replace temp macro ip_metric(raw) as
    case
        when regexp_matches(raw, '[\s\-/A-Z]')
            then regexp_replace(lower(trim(raw)), '[\s\-/]+', '_', 'g')
        else raw
    end;
create or replace temp macro ip_source(raw) as lower(trim(raw));

-- Dates: ISO YYYY-MM-DD only (day/month order is never guessed). `text` is trimmed, '' -> NULL.
create or replace temp macro ip_date_text(raw) as nullif(trim(raw), '');
create or replace temp macro ip_date(text) as
    case
        when regexp_full_match(text, '\d{4}-\d{2}-\d{2}') then try_strptime(text, '%Y-%m-%d')::date
    end;
create or replace temp macro ip_date_error(text, parsed, min_date, max_date) as
    case
        when text is null then 'missing date.'
        when parsed is null and regexp_full_match(text, '\d{4,6}(\.\d+)?')
            then 'looks like an Excel serial date; dates must be ISO YYYY-MM-DD.'
        when parsed is null then 'not an ISO date (YYYY-MM-DD); day/month order is never guessed.'
        when parsed < min_date::date then 'date before ' || min_date || ' (an Excel or epoch artefact?).'
        when parsed > max_date::date then 'date in the future (after ' || max_date || ').'
    end;

-- Values: `text` is the trimmed cell. Empty and NA-like cells are unknown (NULL), thousands
-- separators are dropped, anything else must be a plain decimal number.
create or replace temp macro ip_value_is_null(text) as
    text is null
    or text = ''
    or upper(text) in ('NA', 'N/A', 'NAN', 'NULL', 'NONE', '-', '–', '—');
create or replace temp macro ip_value_clean(text) as
    case
        when regexp_full_match(text, '[+-]?\d{1,3}(,\d{3})+(\.\d+)?') then replace(text, ',', '')
        else text
    end;
-- (-0 and -0.0 are stored as 0: zero has no sign, and a stored -0.0 prints as "-0")
create or replace temp macro ip_number(clean) as
    case
        when not regexp_full_match(clean, '[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?') then null
        when try_cast(clean as double) = 0 then 0::double
        else try_cast(clean as double)
    end;
create or replace temp macro ip_value_error(text, parsed, is_null, is_integer, is_signed) as
    case
        when is_null then null
        when parsed is null and regexp_matches(text, '^\(.*\)$')
            then 'accounting-style negative in parentheses is not accepted.'
        when parsed is null and regexp_matches(text, '[$€£¥%]')
            then 'currency or percent signs are not accepted.'
        when parsed is null and regexp_full_match(text, '[+-]?\d{1,3}(\.\d{3})*,\d+')
            then 'decimal comma is not accepted.'
        when parsed is null then 'not a number.'
        when not isfinite(parsed) or abs(parsed) > 9007199254740991
            then 'out of range (larger than 9007199254740991, the largest count stored exactly).'
        when is_integer and parsed <> floor(parsed) then 'not a whole number; this metric counts.'
        when parsed < 0 and not is_signed then 'negative; this metric counts and cannot be negative.'
    end;
-- The fast pass's value for one raw cell. A canonical whole number (digits, no sign, no
-- leading zero: the bulk of any count file) is read by one cast, with which the rules agree;
-- every other cell goes through the rules, and a cell they refuse becomes NaN, which sends
-- the import to the exact pass. (Checking "digits only" with ltrim(raw, '0123456789') costs
-- three times the whole read; the cast-and-compare costs a sixth of it.)
create or replace temp macro ip_fast_value(raw) as
    case
        when try_cast(raw as ubigint)::varchar = raw then try_cast(raw as ubigint)::double
        when ip_value_is_null(trim(raw)) then null
        else coalesce(ip_number(ip_value_clean(trim(raw))), 'nan'::double)
    end;

-- Keys.
create or replace temp macro ip_app_error(app, max_text) as
    case
        when app is null or app = '' then 'missing app.'
        when length(app) > max_text then 'app name longer than ' || max_text || ' characters.'
        -- TAB, LF and CR are whitespace a quoted field may hold (stored as given); every other
        -- control character is refused, never silently stripped (RELIABILITY.md 3.2 #44).
        when regexp_matches(app, '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]')
            then 'control character (other than TAB or newline) in the app name.'
    end;
create or replace temp macro ip_platform_error(platform) as
    case
        when platform is null or platform = '' then 'missing platform.'
        when platform in ('ios', 'android') then null
        when not regexp_full_match(platform, '[a-z0-9][a-z0-9_.+\-]{0,31}')
            then 'platform must be a short word such as ios or android.'
    end;
-- A country must be an assigned ISO 3166-1 alpha-2 code or one of installpulse's own (WW =
-- worldwide, ZZ = unknown; and XK, AN, which Google Play reports): `accepted` and `hint` come
-- from the temp table `import_countries` (import_countries.sql, built from pycountry), joined
-- on the normalised code by each pass; a known wrong spelling (UK, USA, Germany) has a hint.
create or replace temp macro ip_country_error(country, accepted, hint) as
    case
        when country is null or country = '' then 'missing country.'
        when accepted then null
        when hint is not null then 'not an ISO 3166-1 alpha-2 country code: ' || hint
        when regexp_full_match(country, '[A-Z]{2}')
            then 'not an assigned ISO 3166-1 alpha-2 country code.'
        else 'country must be an ISO 3166-1 alpha-2 code such as US (WW = worldwide).'
    end;
create or replace temp macro ip_metric_error(metric, known) as
    case
        when metric is null or metric = '' then 'missing metric.'
        when not known then 'unknown metric.'
    end;
create or replace temp macro ip_source_error(source) as
    case
        when source is null or source = '' then 'missing source.'
        when source in ('generic', 'manual', 'demo', 'google_play', 'app_store_connect',
                        'sensortower', 'appfigures') then null
        when not regexp_full_match(source, '[a-z0-9][a-z0-9_.\-]{0,63}')
            then 'source must be a short word such as sensortower or manual.'
    end;
