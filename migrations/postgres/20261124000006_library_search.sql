-- Content library: filters, full-text search over title, idea and variants, and pages
-- that stay fast at tens of thousands of drafts (src/library.rs).
--
-- drafts_library is the listing's own narrow copy of every draft: owner, status, last change,
-- platforms (" x linkedin ") and the search document, so a page, a count or a search reads
-- one table. It is a side table, not columns on drafts, because code reads drafts with
-- `select *` through sqlx's Any driver, which cannot decode a tsvector. Triggers keep it in
-- step, so code that writes drafts never has to remember it.

-- The drafts list API (src/drafts.rs) pages newest first.
create index drafts_user_updated on drafts (user_id, updated_at desc, id);

-- Accents fold away ("cafe" finds "café") where the unaccent extension can be had; on a
-- server without it search still works, accent-sensitive. Declared immutable (unaccent is
-- only stable because its rules file could be edited) so a query's search words are folded
-- once at planning, not once per row.
do $$
declare
    s text;
begin
    begin
        create extension if not exists unaccent;
    exception when others then
        raise notice 'unaccent is not available: library search will not fold accents';
    end;
    select extnamespace::regnamespace::text into s from pg_extension where extname = 'unaccent';
    if s is not null then
        execute format(
            $f$create function covalynce_fold(t text) returns text language sql immutable parallel safe
               as $b$select %1$s.unaccent(%2$L::regdictionary, t)$b$ $f$,
            s, s || '.unaccent');
    else
        execute $f$create function covalynce_fold(t text) returns text language sql immutable parallel safe as $b$select t$b$ $f$;
    end if;
end;
$$;

create table drafts_library (
    draft_id text primary key references drafts (id) on delete cascade,
    user_id text not null,
    status text not null,
    updated_at bigint not null,
    platforms text not null default '',
    -- 'simple': no stemming or stop words, drafts are written in any language. Positions are
    -- stripped: search is word prefixes only, and smaller rows make a common word's thousands
    -- of matches cheap to read.
    doc tsvector not null
);
-- Both match the listing's `order by updated_at desc, draft_id`, so a page is a range read,
-- and carry `platforms` so the platform filter never leaves the index.
create index drafts_library_user on drafts_library (user_id, updated_at desc, draft_id, platforms);
create index drafts_library_user_status on drafts_library (user_id, status, updated_at desc, draft_id, platforms);
create index drafts_library_doc on drafts_library using gin (doc);

-- Rebuilds one draft's row from the tables (nothing when the draft is gone); an unchanged
-- row is not rewritten.
create function drafts_library_refresh(p_draft_id text) returns void language plpgsql as $$
begin
    insert into drafts_library (draft_id, user_id, status, updated_at, platforms, doc)
    select d.id, d.user_id, d.status, d.updated_at,
           coalesce(' ' || (select string_agg(v.platform, ' ') from draft_variants v where v.draft_id = d.id) || ' ', ''),
           strip(to_tsvector('simple', covalynce_fold(d.title || ' ' || d.idea || ' ' ||
               coalesce((select string_agg(v.body, ' ') from draft_variants v where v.draft_id = d.id), ''))))
    from drafts d
    where d.id = p_draft_id
    on conflict (draft_id) do update
        set user_id = excluded.user_id, status = excluded.status, updated_at = excluded.updated_at,
            platforms = excluded.platforms, doc = excluded.doc
        where (drafts_library.user_id, drafts_library.status, drafts_library.updated_at, drafts_library.platforms, drafts_library.doc)
            is distinct from (excluded.user_id, excluded.status, excluded.updated_at, excluded.platforms, excluded.doc);
end;
$$;

create function drafts_library_trigger() returns trigger language plpgsql as $$
begin
    perform drafts_library_refresh(new.id);
    return null;
end;
$$;

create function draft_variants_library_trigger() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform drafts_library_refresh(new.draft_id);
    elsif tg_op = 'DELETE' then
        perform drafts_library_refresh(old.draft_id);
    else
        perform drafts_library_refresh(new.draft_id);
        if new.draft_id <> old.draft_id then
            perform drafts_library_refresh(old.draft_id);
        end if;
    end if;
    return null;
end;
$$;

-- Deferred to commit: a save updates the draft and replaces every variant row; at commit
-- each event sees the finished draft, so its row is written once per save, not once per
-- variant.
create constraint trigger drafts_library_sync after insert or update on drafts
    deferrable initially deferred
    for each row execute function drafts_library_trigger();
create constraint trigger draft_variants_library_sync after insert or update or delete on draft_variants
    deferrable initially deferred
    for each row execute function draft_variants_library_trigger();

-- Backfill drafts written before this migration.
select drafts_library_refresh(id) from drafts;
