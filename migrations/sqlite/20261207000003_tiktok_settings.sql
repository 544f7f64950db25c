-- TikTok Direct Post (issue 12): the person's choices for a TikTok post (privacy level,
-- comments/duet/stitch, commercial-content disclosure) as JSON; null on other platforms.
alter table posts add column tiktok_settings text;
