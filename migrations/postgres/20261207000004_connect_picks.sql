-- After a login that manages several accounts (Facebook Pages), the person chooses which to
-- connect (issue 12). The candidates and their sealed tokens wait here for a short while.
create table connect_picks (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    platform text not null,
    -- sealed JSON: [{profile, grant}], Page tokens included
    accounts_enc text not null,
    consent_scopes text not null,
    created_at bigint not null
);
create index connect_picks_user on connect_picks (user_id, platform, created_at);
