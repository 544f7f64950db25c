-- Content library: filters, full-text search over title, idea and variants, and pages
-- that stay fast at tens of thousands of drafts (src/library.rs).
--
-- The tsvector lives in a side table, not a column on drafts: code reads drafts with
-- `select *` through sqlx's Any driver, which cannot decode a tsvector. Triggers keep it in
-- step, so code that writes drafts never has to remember it. The 'simple' configuration
-- (no stemming, no stop words) because drafts are written in any language.

-- Both match the listing's `order by updated_at desc, id`, so a page is an index range
-- read; the second replaces drafts_user_status (its prefix) for the status filters.
create index drafts_user_updated on drafts (user_id, updated_at desc, id);
create index drafts_user_status_updated on drafts (user_id, status, updated_at desc, id);
drop index drafts_user_status;
-- The platform filter: an index-only read of the platform's variants.
create index draft_variants_platform on draft_variants (platform, draft_id);

-- Accents fold away ("cafe" finds "café") where the unaccent extension can be had; on a
-- server without it search still works, accent-sensitive.
do $$
begin
    begin
        create extension if not exists unaccent;
    exception when others then
        raise notice 'unaccent is not available: library search will not fold accents';
    end;
    if exists (select 1 from pg_extension where extname = 'unaccent') then
        execute $f$create function covalynce_fold(t text) returns text language sql stable as $b$select unaccent('unaccent', t)$b$ $f$;
    else
        execute $f$create function covalynce_fold(t text) returns text language sql immutable as $b$select t$b$ $f$;
    end if;
end;
$$;

create table draft_search (
    draft_id text primary key references drafts (id) on delete cascade,
    doc tsvector not null
);
create index draft_search_doc on draft_search using gin (doc);

-- Rebuilds one draft's document from the tables (nothing when the draft is gone). Positions
-- are stripped: search is word prefixes only, and the smaller rows make a common word's
-- thousands of matches cheap to read. An unchanged document is not rewritten.
create function draft_search_refresh(p_draft_id text) returns void language plpgsql as $$
begin
    insert into draft_search (draft_id, doc)
    select d.id,
           strip(to_tsvector('simple', covalynce_fold(d.title || ' ' || d.idea || ' ' ||
               coalesce((select string_agg(v.body, ' ') from draft_variants v where v.draft_id = d.id), ''))))
    from drafts d
    where d.id = p_draft_id
    on conflict (draft_id) do update set doc = excluded.doc where draft_search.doc is distinct from excluded.doc;
end;
$$;

create function drafts_search_trigger() returns trigger language plpgsql as $$
begin
    perform draft_search_refresh(new.id);
    return null;
end;
$$;

create function draft_variants_search_trigger() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform draft_search_refresh(new.draft_id);
    elsif tg_op = 'DELETE' then
        perform draft_search_refresh(old.draft_id);
    else
        perform draft_search_refresh(new.draft_id);
        if new.draft_id <> old.draft_id then
            perform draft_search_refresh(old.draft_id);
        end if;
    end if;
    return null;
end;
$$;

-- Deferred to commit: a save replaces every variant row, and at commit each event sees the
-- finished draft, so the document is written once per save instead of once per row.
create constraint trigger drafts_search_insert after insert on drafts
    deferrable initially deferred
    for each row execute function drafts_search_trigger();
-- Every save rewrites title and idea; only a real change costs a re-index.
create constraint trigger drafts_search_update after update of title, idea on drafts
    deferrable initially deferred
    for each row when (old.title is distinct from new.title or old.idea is distinct from new.idea)
    execute function drafts_search_trigger();
create constraint trigger draft_variants_search after insert or update or delete on draft_variants
    deferrable initially deferred
    for each row execute function draft_variants_search_trigger();

-- Backfill drafts written before this migration.
select draft_search_refresh(id) from drafts;
