-- Content library: full-text search over title, idea and variants, and an index that
-- serves the paged listing (newest first) without a sort.
--
-- Search lives in an FTS5 table kept in step by triggers, so code that writes drafts never
-- has to remember it. FTS rows are keyed by a stable integer of our own (drafts_fts_rows)
-- rather than drafts.rowid: VACUUM may renumber the rowids of a table whose primary key is
-- text, which would leave the index pointing at the wrong drafts.

-- Both match the listing's `order by updated_at desc, id`, so a page is an index range
-- read; the second replaces drafts_user_status (its prefix) for the status filters.
create index drafts_user_updated on drafts (user_id, updated_at desc, id);
create index drafts_user_status_updated on drafts (user_id, status, updated_at desc, id);
drop index drafts_user_status;

create table drafts_fts_rows (
    rid integer primary key,
    draft_id text not null unique
);

-- remove_diacritics 2: "cafe" finds "café"; unicode61 splits on punctuation in any script.
create virtual table drafts_fts using fts5 (
    draft_id unindexed,
    title,
    idea,
    variants,
    tokenize = 'unicode61 remove_diacritics 2'
);

create trigger drafts_fts_after_insert after insert on drafts begin
    insert into drafts_fts_rows (draft_id) values (new.id);
    insert into drafts_fts (rowid, draft_id, title, idea, variants)
    select r.rid, new.id, new.title, new.idea,
           coalesce((select group_concat(v.body, char(10)) from draft_variants v where v.draft_id = new.id), '')
    from drafts_fts_rows r where r.draft_id = new.id;
end;

-- Every save rewrites title and idea; only a real change costs a re-index.
create trigger drafts_fts_after_update after update of title, idea on drafts
when old.title is not new.title or old.idea is not new.idea begin
    delete from drafts_fts where rowid = (select rid from drafts_fts_rows where draft_id = new.id);
    insert into drafts_fts (rowid, draft_id, title, idea, variants)
    select r.rid, new.id, new.title, new.idea,
           coalesce((select group_concat(v.body, char(10)) from draft_variants v where v.draft_id = new.id), '')
    from drafts_fts_rows r where r.draft_id = new.id;
end;

create trigger drafts_fts_after_delete after delete on drafts begin
    delete from drafts_fts where rowid = (select rid from drafts_fts_rows where draft_id = old.id);
    delete from drafts_fts_rows where draft_id = old.id;
end;

-- A variant change re-indexes its draft from the tables. The join on drafts makes this a
-- no-op while the draft itself is being deleted (its variants go by cascade).
create trigger draft_variants_fts_after_insert after insert on draft_variants begin
    delete from drafts_fts where rowid = (select rid from drafts_fts_rows where draft_id = new.draft_id);
    insert into drafts_fts (rowid, draft_id, title, idea, variants)
    select r.rid, d.id, d.title, d.idea,
           coalesce((select group_concat(v.body, char(10)) from draft_variants v where v.draft_id = d.id), '')
    from drafts d join drafts_fts_rows r on r.draft_id = d.id where d.id = new.draft_id;
end;

create trigger draft_variants_fts_after_update after update on draft_variants begin
    delete from drafts_fts where rowid in (select rid from drafts_fts_rows where draft_id in (old.draft_id, new.draft_id));
    insert into drafts_fts (rowid, draft_id, title, idea, variants)
    select r.rid, d.id, d.title, d.idea,
           coalesce((select group_concat(v.body, char(10)) from draft_variants v where v.draft_id = d.id), '')
    from drafts d join drafts_fts_rows r on r.draft_id = d.id where d.id in (old.draft_id, new.draft_id);
end;

create trigger draft_variants_fts_after_delete after delete on draft_variants begin
    delete from drafts_fts where rowid = (select rid from drafts_fts_rows where draft_id = old.draft_id);
    insert into drafts_fts (rowid, draft_id, title, idea, variants)
    select r.rid, d.id, d.title, d.idea,
           coalesce((select group_concat(v.body, char(10)) from draft_variants v where v.draft_id = d.id), '')
    from drafts d join drafts_fts_rows r on r.draft_id = d.id where d.id = old.draft_id;
end;

-- Backfill drafts written before this migration.
insert into drafts_fts_rows (draft_id) select id from drafts;
insert into drafts_fts (rowid, draft_id, title, idea, variants)
select r.rid, d.id, d.title, d.idea,
       coalesce((select group_concat(v.body, char(10)) from draft_variants v where v.draft_id = d.id), '')
from drafts d join drafts_fts_rows r on r.draft_id = d.id;
