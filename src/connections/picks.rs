//! Choosing which accounts to connect after a login that manages several (Facebook Pages).
//! The candidates and their tokens wait, sealed, in `connect_picks` for `PICK_TTL_MS`; the
//! person's choice connects only those, and the pick is deleted as it is used.

use super::{split, ConnectError, Connection, Connections};
use crate::crypto::random_token;
use crate::db::now_ms;
use crate::domain::{Pick, PickAccount, PlatformId};
use crate::platforms::{AccountProfile, Grant};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// How long the choice stays open after the login (long enough to read a list of Pages).
const PICK_TTL_MS: i64 = 30 * 60 * 1000;

/// What a finished login leads to.
#[derive(Debug)]
pub enum Finished {
    Connected(Vec<Connection>),
    /// The person chooses among several accounts first (`Pick::id`).
    Choose(String),
}

#[derive(Serialize, Deserialize)]
struct Candidate {
    profile: AccountProfile,
    grant: Grant,
}

impl Connections {
    /// Keeps the candidates for the person to choose from; returns the pick's id.
    pub(super) async fn hold_pick(
        &self,
        user_id: &str,
        platform: PlatformId,
        accounts: Vec<(AccountProfile, Grant)>,
        consent: &[String],
    ) -> Result<String, ConnectError> {
        let id = random_token();
        let list: Vec<Candidate> = accounts.into_iter().map(|(profile, grant)| Candidate { profile, grant }).collect();
        let sealed = self.keys.encrypt(&serde_json::to_string(&list).map_err(anyhow::Error::from)?);
        sqlx::query("delete from connect_picks where created_at < $1").bind(now_ms() - PICK_TTL_MS).execute(self.db.pool()).await?;
        sqlx::query(
            "insert into connect_picks (id, user_id, platform, accounts_enc, consent_scopes, created_at) values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(platform.as_str())
        .bind(sealed)
        .bind(consent.join(" "))
        .bind(now_ms())
        .execute(self.db.pool())
        .await?;
        Ok(id)
    }

    async fn candidates(&self, user_id: &str, id: &str) -> Result<(PlatformId, Vec<Candidate>, Vec<String>, i64), ConnectError> {
        let row = sqlx::query("select platform, accounts_enc, consent_scopes, created_at from connect_picks where id = $1 and user_id = $2 and created_at > $3")
            .bind(id)
            .bind(user_id)
            .bind(now_ms() - PICK_TTL_MS)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(ConnectError::BadState)?;
        let platform = PlatformId::parse(&row.get::<String, _>("platform")).map_err(|_| ConnectError::BadState)?;
        let list: Vec<Candidate> =
            serde_json::from_str(&self.keys.decrypt(&row.get::<String, _>("accounts_enc"))?).map_err(anyhow::Error::from)?;
        Ok((platform, list, split(&row.get::<String, _>("consent_scopes")), row.get::<i64, _>("created_at") + PICK_TTL_MS))
    }

    /// The choice `id` of this user; another user's, a used or an expired one is `BadState`.
    pub async fn pick(&self, user_id: &str, id: &str) -> Result<Pick, ConnectError> {
        let (platform, list, _, expires_at) = self.candidates(user_id, id).await?;
        let have: Vec<String> = self.list(user_id).await?.into_iter().filter(|c| c.platform == platform).map(|c| c.external_id).collect();
        let accounts = list
            .into_iter()
            .map(|c| PickAccount {
                connected: have.contains(&c.profile.external_id),
                external_id: c.profile.external_id,
                username: c.profile.username,
                display_name: c.profile.display_name,
                avatar_url: c.profile.avatar_url,
            })
            .collect();
        Ok(Pick { id: id.to_string(), platform, accounts, expires_at })
    }

    /// This user's newest open choice on `platform`, if any (`GET /api/v1/facebook/pages`).
    pub async fn latest_pick(&self, user_id: &str, platform: PlatformId) -> Result<Option<Pick>, ConnectError> {
        let id: Option<String> = sqlx::query_scalar(
            "select id from connect_picks where user_id = $1 and platform = $2 and created_at > $3 order by created_at desc limit 1",
        )
        .bind(user_id)
        .bind(platform.as_str())
        .bind(now_ms() - PICK_TTL_MS)
        .fetch_optional(self.db.pool())
        .await?;
        match id {
            Some(id) => Ok(Some(self.pick(user_id, &id).await?)),
            None => Ok(None),
        }
    }

    /// Connects the chosen accounts of pick `id` and closes it. At least one must be chosen,
    /// and each must be one of the pick's (an id from elsewhere is refused, nothing connected).
    pub async fn choose(&self, user_id: &str, id: &str, chosen: &[String]) -> Result<Vec<Connection>, ConnectError> {
        let (platform, list, consent, _) = self.candidates(user_id, id).await?;
        if chosen.is_empty() {
            return Err(ConnectError::NothingChosen(crate::domain::accounts_noun(platform)));
        }
        if let Some(stray) = chosen.iter().find(|c| !list.iter().any(|a| &a.profile.external_id == *c)) {
            return Err(ConnectError::NotOffered(stray.chars().take(64).collect()));
        }
        // Deleted as it is used: a second submit (double click, replay) finds nothing.
        let gone =
            sqlx::query("delete from connect_picks where id = $1 and user_id = $2").bind(id).bind(user_id).execute(self.db.pool()).await?;
        if gone.rows_affected() == 0 {
            return Err(ConnectError::BadState);
        }
        let mut out = vec![];
        for c in list.iter().filter(|c| chosen.contains(&c.profile.external_id)) {
            out.push(self.upsert(user_id, platform, &c.profile, &c.grant, &consent).await?);
        }
        Ok(out)
    }
}
