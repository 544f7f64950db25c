-- Per-network choices for a post (issue 12: TikTok's privacy level, comments and
-- commercial-content disclosure), as the JSON of `domain::PostOptions`; null when none.
alter table posts add column platform_options text;
