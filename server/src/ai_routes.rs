//! BYOK settings and text generation (JSON). Keys go in, hints come out.

use crate::error::{ApiError, ApiJson, Me};
use app::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Json;
use axum::Router;
use covalynce::ai::{AiSettingsInput, GenerateRequest};
use covalynce::drafts::{DraftInput, SaveKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub async fn settings(State(st): State<AppState>, Me(uid): Me) -> Result<Json<impl Serialize>, ApiError> {
    Ok(Json(st.ai.settings(&uid).await?))
}

pub async fn save(State(st): State<AppState>, Me(uid): Me, ApiJson(b): ApiJson<AiSettingsInput>) -> Result<Json<impl Serialize>, ApiError> {
    Ok(Json(st.ai.save(&uid, b).await?))
}

pub async fn test_key(State(st): State<AppState>, Me(uid): Me) -> Result<Json<impl Serialize>, ApiError> {
    Ok(Json(st.ai.test_key(&uid).await?))
}

#[derive(Deserialize)]
pub struct GenerateBody {
    #[serde(flatten)]
    req: GenerateRequest,
    /// When set, the idea and the generated variants are saved on this draft.
    draft_id: Option<String>,
}

/// `POST /api/ai/generate` → `{variants, source, model, warnings, lengths, draft?}`.
pub async fn generate(State(st): State<AppState>, Me(uid): Me, ApiJson(b): ApiJson<GenerateBody>) -> Result<Json<Value>, ApiError> {
    // Check ownership before spending the user's credit on a draft they cannot save to.
    if let Some(id) = &b.draft_id {
        st.drafts.get(&uid, id).await?;
    }
    let g = st.ai.generate(&uid, &b.req).await?;
    let lengths: serde_json::Map<String, Value> = g
        .variants
        .iter()
        .filter_map(|(p, body)| covalynce::PlatformId::parse(p).ok().map(|pid| (p.clone(), json!(covalynce::check_length(pid, body)))))
        .collect();
    let mut out = json!({"variants": g.variants, "source": g.source, "model": g.model, "warnings": g.warnings, "lengths": lengths});
    if let Some(id) = &b.draft_id {
        let input =
            DraftInput { idea: Some(b.req.idea.clone()), variants: Some(g.variants.clone().into_iter().collect()), ..Default::default() };
        out["draft"] = json!(st.drafts.save(&uid, id, input, SaveKind::Save).await?);
    }
    Ok(Json(out))
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/settings/ai", get(settings).put(save).patch(save))
        .route("/api/settings/ai/test", post(test_key))
        .route("/api/ai/generate", post(generate))
}
