-- Content library: filters, full-text search over title, idea and variants, and pages
-- that stay fast at tens of thousands of drafts (src/library.rs).
--
-- Triggers keep everything here in step with drafts and draft_variants, so code that writes
-- drafts never has to remember it.
--
-- drafts_library is the listing's own narrow index of every draft. Its integer rid is the
-- FTS row id, so a search filters by integer (straight from FTS5's doclists) instead of
-- reading each match's text id, and `platforms` (" x linkedin ") answers the platform
-- filter without a lookup per draft. A rid of our own, not drafts.rowid: VACUUM may
-- renumber the rowids of a table whose primary key is text.
create table drafts_library (
    rid integer primary key,
    draft_id text not null unique,
    user_id text not null,
    status text not null,
    updated_at integer not null,
    platforms text not null default ''
);
-- Both match the listing's `order by updated_at desc, draft_id`, so a page is a range read,
-- and carry `platforms` so the platform filter never leaves the index.
create index drafts_library_user on drafts_library (user_id, updated_at desc, draft_id, platforms);
create index drafts_library_user_status on drafts_library (user_id, status, updated_at desc, draft_id, platforms);
-- The drafts list API (src/drafts.rs) pages newest first too.
create index drafts_user_updated on drafts (user_id, updated_at desc, id);

-- remove_diacritics 2: "cafe" finds "café"; unicode61 splits on punctuation in any script.
create virtual table drafts_fts using fts5 (
    title,
    idea,
    variants,
    tokenize = 'unicode61 remove_diacritics 2'
);

create trigger drafts_library_after_insert after insert on drafts begin
    insert into drafts_library (draft_id, user_id, status, updated_at, platforms)
    values (new.id, new.user_id, new.status, new.updated_at,
            coalesce((select ' ' || group_concat(platform, ' ') || ' ' from draft_variants where draft_id = new.id), ''));
    insert into drafts_fts (rowid, title, idea, variants)
    select rid, new.title, new.idea, coalesce((select group_concat(body, char(10)) from draft_variants where draft_id = new.id), '')
    from drafts_library where draft_id = new.id;
end;

-- Every save sets updated_at (and so fires this); it touches one narrow row.
create trigger drafts_library_after_update after update of user_id, status, updated_at on drafts begin
    update drafts_library set user_id = new.user_id, status = new.status, updated_at = new.updated_at where draft_id = new.id;
end;

-- Every save rewrites title and idea; only a real change costs a re-index.
create trigger drafts_fts_after_update after update of title, idea on drafts
when old.title is not new.title or old.idea is not new.idea begin
    delete from drafts_fts where rowid = (select rid from drafts_library where draft_id = new.id);
    insert into drafts_fts (rowid, title, idea, variants)
    select rid, new.title, new.idea, coalesce((select group_concat(body, char(10)) from draft_variants where draft_id = new.id), '')
    from drafts_library where draft_id = new.id;
end;

create trigger drafts_library_after_delete after delete on drafts begin
    delete from drafts_fts where rowid = (select rid from drafts_library where draft_id = old.id);
    delete from drafts_library where draft_id = old.id;
end;

-- A variant change re-reads its draft's platforms and text from the tables. The join on
-- drafts makes the re-index a no-op while the draft itself is being deleted (its variants
-- go by cascade, before or after the delete trigger above: either order ends clean).
create trigger draft_variants_library_after_insert after insert on draft_variants begin
    update drafts_library
    set platforms = coalesce((select ' ' || group_concat(platform, ' ') || ' ' from draft_variants where draft_id = new.draft_id), '')
    where draft_id = new.draft_id;
    delete from drafts_fts where rowid = (select rid from drafts_library where draft_id = new.draft_id);
    insert into drafts_fts (rowid, title, idea, variants)
    select r.rid, d.title, d.idea, coalesce((select group_concat(v.body, char(10)) from draft_variants v where v.draft_id = d.id), '')
    from drafts d join drafts_library r on r.draft_id = d.id where d.id = new.draft_id;
end;

create trigger draft_variants_library_after_update after update on draft_variants begin
    update drafts_library
    set platforms = coalesce((select ' ' || group_concat(v.platform, ' ') || ' ' from draft_variants v where v.draft_id = drafts_library.draft_id), '')
    where draft_id in (old.draft_id, new.draft_id);
    delete from drafts_fts where rowid in (select rid from drafts_library where draft_id in (old.draft_id, new.draft_id));
    insert into drafts_fts (rowid, title, idea, variants)
    select r.rid, d.title, d.idea, coalesce((select group_concat(v.body, char(10)) from draft_variants v where v.draft_id = d.id), '')
    from drafts d join drafts_library r on r.draft_id = d.id where d.id in (old.draft_id, new.draft_id);
end;

create trigger draft_variants_library_after_delete after delete on draft_variants begin
    update drafts_library
    set platforms = coalesce((select ' ' || group_concat(platform, ' ') || ' ' from draft_variants where draft_id = old.draft_id), '')
    where draft_id = old.draft_id;
    delete from drafts_fts where rowid = (select rid from drafts_library where draft_id = old.draft_id);
    insert into drafts_fts (rowid, title, idea, variants)
    select r.rid, d.title, d.idea, coalesce((select group_concat(v.body, char(10)) from draft_variants v where v.draft_id = d.id), '')
    from drafts d join drafts_library r on r.draft_id = d.id where d.id = old.draft_id;
end;

-- Backfill drafts written before this migration.
insert into drafts_library (draft_id, user_id, status, updated_at, platforms)
select d.id, d.user_id, d.status, d.updated_at,
       coalesce((select ' ' || group_concat(v.platform, ' ') || ' ' from draft_variants v where v.draft_id = d.id), '')
from drafts d;
insert into drafts_fts (rowid, title, idea, variants)
select r.rid, d.title, d.idea, coalesce((select group_concat(v.body, char(10)) from draft_variants v where v.draft_id = d.id), '')
from drafts d join drafts_library r on r.draft_id = d.id;
