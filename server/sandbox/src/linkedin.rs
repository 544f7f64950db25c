//! LinkedIn in the sandbox: the authorization page (no PKCE), an access-token endpoint that
//! checks the client id and secret in the form and issues 60-day tokens without a refresh
//! token (as for normal apps; partner refresh tokens are honoured if present, non-rotating),
//! revoke, OIDC userinfo, and the versioned `/rest/*` API (Posts, Images with a separate
//! upload URL, the author finder, socialActions) with LinkedIn's error envelope and header
//! checks.

use super::{consent_decision, consent_page, Account, Sandbox, CLIENT_ID, CLIENT_SECRET};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Datelike;
use serde_json::{json, Value};
use std::collections::HashMap;

const P: &str = "linkedin";
/// Access tokens live 60 days.
const ACCESS_SECS: u64 = 60 * 86_400;
/// LinkedIn's documented commentary limit.
const COMMENTARY_MAX: usize = 3_000;
/// Characters LinkedIn's "little text" format reserves.
const RESERVED: [char; 15] = ['\\', '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '*', '_', '~'];

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/oauth/v2/authorization", get(authorize_page).post(authorize_decide))
        .route("/oauth/v2/accessToken", post(token))
        .route("/oauth/v2/revoke", post(revoke))
        .route("/v2/userinfo", get(userinfo))
        .route("/rest/images", post(images_action))
        .route("/upload/dms-uploads/{id}", put(upload))
        .route("/rest/posts", post(create_post).get(find_posts))
        .route("/rest/socialActions/{urn}", get(social_actions))
        .route("/rest/memberCreatorPostAnalytics", get(member_analytics))
}

/// LinkedIn's API envelope.
fn api_error(status: StatusCode, service_code: i64, code: &str, message: &str) -> Response {
    (status, Json(json!({"status": status.as_u16(), "serviceErrorCode": service_code, "code": code, "message": message}))).into_response()
}

fn unauthorized(why: &str) -> Response {
    match why {
        "revoked" => {
            api_error(StatusCode::UNAUTHORIZED, 65601, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user")
        }
        "expired" => api_error(StatusCode::UNAUTHORIZED, 65602, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired"),
        _ => api_error(StatusCode::UNAUTHORIZED, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token"),
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

/// The oldest `LinkedIn-Version` the sandbox still serves (year, month).
const OLDEST_ACTIVE_VERSION: (i32, i32) = (2025, 12);

/// `/rest/*` needs a live `LinkedIn-Version` (YYYYMM, active for a year) and Rest.li 2.0:
/// what LinkedIn answers when they are missing or stale.
fn rest_header_problem(sb: &Sandbox, headers: &HeaderMap) -> Option<Response> {
    let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
    let version = h("linkedin-version");
    if version.is_empty() {
        return Some(api_error(
            StatusCode::BAD_REQUEST,
            0,
            "VERSION_MISSING",
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
        ));
    }
    let month =
        version.split('.').next().filter(|m| m.len() == 6).and_then(|m| Some((m[..4].parse::<i32>().ok()?, m[4..].parse::<i32>().ok()?)));
    let Some((y, m)) = month.filter(|(_, m)| (1..=12).contains(m)) else {
        return Some(api_error(StatusCode::BAD_REQUEST, 0, "INVALID_VERSION", &format!("Invalid version format: {version}")));
    };
    // A fixed oldest active version (not "12 months before today") so the test suite does
    // not expire on its own; raise it together with `versions::LINKEDIN_VERSION`.
    let now = chrono::DateTime::from_timestamp_millis(sb.now_ms()).unwrap_or_default();
    let future = (y * 12 + m) > (now.year() * 12 + now.month() as i32);
    if future || (y * 12 + m) < OLDEST_ACTIVE_VERSION.0 * 12 + OLDEST_ACTIVE_VERSION.1 {
        return Some(api_error(
            StatusCode::UPGRADE_REQUIRED,
            0,
            "NONEXISTENT_VERSION",
            &format!("Requested version {version} is not active"),
        ));
    }
    if h("x-restli-protocol-version") != "2.0.0" {
        return Some(api_error(
            StatusCode::BAD_REQUEST,
            0,
            "ILLEGAL_ARGUMENT",
            "This resource requires the header X-Restli-Protocol-Version: 2.0.0",
        ));
    }
    None
}

/// Headers, then the member token.
fn rest_guard(sb: &Sandbox, headers: &HeaderMap) -> Result<Account, Box<Response>> {
    if let Some(r) = rest_header_problem(sb, headers) {
        return Err(Box::new(r));
    }
    sb.bearer(P, headers).map_err(|why| Box::new(unauthorized(why)))
}

async fn authorize_page(Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return (StatusCode::BAD_REQUEST, "The passed in client_id is invalid").into_response();
    }
    if q.get("response_type").map(String::as_str) != Some("code") || !q.contains_key("redirect_uri") {
        return (StatusCode::BAD_REQUEST, "response_type=code and redirect_uri are required").into_response();
    }
    // Show what each scope lets the app do, as LinkedIn's screen does.
    let labels: Vec<String> = q
        .get("scope")
        .map(|s| s.split([' ', ',']).filter(|s| !s.is_empty()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|s| match s {
            "openid" | "profile" => format!("{s}: use your name and photo"),
            "email" => format!("{s}: use the primary email address of your account"),
            "w_member_social" => format!("{s}: write posts, comments and reactions on your behalf"),
            other => other.to_string(),
        })
        .collect();
    let scopes: Vec<&str> = labels.iter().map(String::as_str).collect();
    let hidden: Vec<(&str, &str)> =
        ["client_id", "redirect_uri", "state"].iter().filter_map(|k| q.get(*k).map(|v| (*k, v.as_str()))).collect();
    consent_page("LinkedIn", "#0A66C2", &scopes, &hidden).into_response()
}

async fn authorize_decide(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    consent_decision(&sb, P, &f, false)
}

/// An unsigned stand-in for the OIDC id_token (the adapter reads userinfo instead).
fn id_token(a: &Account) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = json!({"iss": "https://www.linkedin.com/oauth", "sub": a.id, "name": a.display_name, "aud": CLIENT_ID});
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

async fn token(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    // Client authentication is in the form body, not a Basic header.
    if get("client_id") != CLIENT_ID || get("client_secret") != CLIENT_SECRET {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed");
    }
    let (account, refresh) = match get("grant_type") {
        "authorization_code" => {
            if get("redirect_uri").is_empty() {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "A required parameter \"redirect_uri\" is missing");
            }
            match sb.take_code(P, get("code"), get("client_id"), Some(get("redirect_uri")), None) {
                Some(a) => (a, None),
                None => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired.",
                    )
                }
            }
        }
        "refresh_token" => {
            // Partner refresh tokens are reusable until their fixed expiry: no rotation.
            let rt = get("refresh_token");
            let known = sb.lock().refresh.get(rt).filter(|(p, _, spent)| p == P && !spent).map(|(_, a, _)| a.clone());
            match known {
                Some(a) => (a, Some(rt.to_string())),
                None => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "The provided authorization grant or refresh token is invalid, expired or revoked.",
                    )
                }
            }
        }
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "The grant type is not supported"),
    };
    let ttl = sb.access_ttl(P, ACCESS_SECS);
    let mut body = json!({
        "access_token": sb.issue_token(P, &account, Some(ttl)),
        "expires_in": ttl,
        "scope": "email,openid,profile,w_member_social,r_member_postAnalytics",
        "token_type": "Bearer",
        "id_token": id_token(&account),
    });
    if let Some(rt) = refresh {
        body["refresh_token"] = json!(rt);
    }
    Json(body).into_response()
}

async fn revoke(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) || f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed");
    }
    if let Some(t) = f.get("token") {
        if let Some(tok) = sb.lock().tokens.get_mut(t) {
            tok.revoked = true;
        }
    }
    StatusCode::OK.into_response()
}

async fn userinfo(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match sb.bearer(P, &headers) {
        Ok(a) => {
            let mut names = a.display_name.splitn(2, ' ');
            Json(json!({
                "sub": a.id, "name": a.display_name,
                "given_name": names.next().unwrap_or(""), "family_name": names.next().unwrap_or(""),
                "picture": format!("https://media.licdn.com/dms/image/sandbox/{}/profile-displayphoto-shrink_100_100/0", a.id),
                "email": format!("{}@example.com", a.username), "email_verified": true,
                "locale": {"country": "US", "language": "en"},
            }))
            .into_response()
        }
        Err(why) => unauthorized(why),
    }
}

/// Where this sandbox is reachable from the client's side, for absolute upload URLs.
fn external_root(headers: &HeaderMap, uri: &OriginalUri, suffix: &str) -> String {
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    let scheme = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
    let path = uri.0.path();
    format!("{scheme}://{host}{}", path.strip_suffix(suffix).unwrap_or(path))
}

async fn images_action(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    uri: OriginalUri,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Response {
    let account = match rest_guard(&sb, &headers) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if q.get("action").map(String::as_str) != Some("initializeUpload") {
        return api_error(StatusCode::BAD_REQUEST, 0, "ILLEGAL_ARGUMENT", "Unsupported action; use action=initializeUpload");
    }
    let owner = body["initializeUploadRequest"]["owner"].as_str().unwrap_or("");
    if owner != format!("urn:li:person:{}", account.id) {
        return api_error(
            StatusCode::FORBIDDEN,
            100,
            "ACCESS_DENIED",
            "Not enough permissions to access: partnerApiImages.ACTION.initializeUpload",
        );
    }
    // Not usable until its bytes arrive (a year away = "waiting for upload").
    let id = sb.new_media(365 * 86_400_000);
    let root = external_root(&headers, &uri, "/rest/images");
    Json(json!({"value": {
        "uploadUrlExpiresAt": sb.now_ms() + 86_400_000,
        "uploadUrl": format!("{root}/upload/dms-uploads/{id}"),
        "image": format!("urn:li:image:{id}"),
    }}))
    .into_response()
}

async fn upload(State(sb): State<Sandbox>, headers: HeaderMap, Path(id): Path<String>, body: axum::body::Bytes) -> Response {
    if let Err(why) = sb.bearer(P, &headers) {
        return unauthorized(why);
    }
    if body.is_empty() {
        return api_error(StatusCode::BAD_REQUEST, 0, "ILLEGAL_ARGUMENT", "The upload is empty");
    }
    let now = sb.now_ms();
    match sb.lock().media.get_mut(&id) {
        Some(m) => m.ready_at_ms = now,
        None => return api_error(StatusCode::NOT_FOUND, 0, "NOT_FOUND", "Upload URL not found or expired"),
    }
    StatusCode::CREATED.into_response()
}

/// What members see: escapes resolved; an unescaped reserved character is read as markup and
/// the rest of the text disappears (LinkedIn's behaviour with unescaped parentheses).
fn rendered(commentary: &str) -> String {
    let mut out = String::new();
    let mut chars = commentary.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => out.push(n),
                None => break,
            },
            c if RESERVED.contains(&c) => break,
            c => out.push(c),
        }
    }
    out
}

async fn create_post(State(sb): State<Sandbox>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let account = match rest_guard(&sb, &headers) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if body["author"].as_str() != Some(format!("urn:li:person:{}", account.id).as_str()) {
        return api_error(
            StatusCode::FORBIDDEN,
            100,
            "ACCESS_DENIED",
            &format!(
                "Not enough permissions to access: partnerApiPostsExternal.CREATE.{}",
                headers.get("linkedin-version").and_then(|v| v.to_str().ok()).unwrap_or("")
            ),
        );
    }
    let commentary = body["commentary"].as_str().unwrap_or("");
    if commentary.chars().count() > COMMENTARY_MAX {
        return api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            0,
            "UNPROCESSABLE_ENTITY",
            &format!(
                "ERROR :: /commentary :: length {} exceeds the maximum allowed length of {COMMENTARY_MAX}",
                commentary.chars().count()
            ),
        );
    }
    let content = &body["content"];
    let ids: Vec<&str> = if let Some(id) = content["media"]["id"].as_str() {
        vec![id]
    } else {
        content["multiImage"]["images"].as_array().map(|a| a.iter().filter_map(|i| i["id"].as_str()).collect()).unwrap_or_default()
    };
    if content["multiImage"].is_object() && ids.len() < 2 {
        return api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            0,
            "UNPROCESSABLE_ENTITY",
            "ERROR :: /content/multiImage/images :: needs at least 2 images",
        );
    }
    for id in &ids {
        let ready = id.strip_prefix("urn:li:image:").and_then(|m| sb.media_ready(m));
        if ready != Some(true) {
            return api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                0,
                "UNPROCESSABLE_ENTITY",
                &format!("ERROR :: /content :: image {id} is not uploaded"),
            );
        }
    }
    if commentary.is_empty() && ids.is_empty() {
        return api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            0,
            "UNPROCESSABLE_ENTITY",
            "ERROR :: /commentary :: a post needs text or media",
        );
    }
    let text = rendered(commentary);
    let duplicate = sb
        .lock()
        .ledger
        .iter()
        .find(|e| e.platform == P && e.account == account.id && e.text == text && !text.is_empty())
        .map(|e| e.post_id.clone());
    if let Some(urn) = duplicate {
        return api_error(StatusCode::UNPROCESSABLE_ENTITY, 0, "DUPLICATE_POST", &format!("Content is a duplicate of {urn}"));
    }
    let urn = format!("urn:li:share:{}", 7_200_000_000_000_000_000u64 + rand::random::<u32>() as u64);
    sb.record(P, &account, &urn, &text, ids.len());
    (StatusCode::CREATED, [("x-restli-id", urn.clone()), ("x-linkedin-id", urn)]).into_response()
}

/// Plain text → "little text", as LinkedIn stores and returns `commentary`.
fn escaped(text: &str) -> String {
    text.chars().flat_map(|c| RESERVED.contains(&c).then_some('\\').into_iter().chain([c])).collect()
}

/// `GET /rest/posts?q=author&author={urn}&count&start&sortBy`: the member's own posts, newest
/// first, `commentary` in little text. LinkedIn answers this finder for a member author only
/// to apps approved for `r_member_social`; the sandbox's app is (as it is for Member Post
/// Analytics), so it answers for the token's own member and refuses anyone else's posts.
async fn find_posts(State(sb): State<Sandbox>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let account = match rest_guard(&sb, &headers) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let method = headers.get("x-restli-method").and_then(|v| v.to_str().ok()).unwrap_or("FINDER");
    if !method.eq_ignore_ascii_case("FINDER") || q.get("q").map(String::as_str) != Some("author") {
        return api_error(StatusCode::BAD_REQUEST, 0, "ILLEGAL_ARGUMENT", "Unsupported finder; use q=author with X-RestLi-Method: FINDER");
    }
    let author = format!("urn:li:person:{}", account.id);
    if q.get("author") != Some(&author) {
        return api_error(
            StatusCode::FORBIDDEN,
            100,
            "ACCESS_DENIED",
            &format!(
                "Not enough permissions to access: partnerApiPostsExternal.FINDER-author.{}",
                headers.get("linkedin-version").and_then(|v| v.to_str().ok()).unwrap_or("")
            ),
        );
    }
    if !matches!(q.get("sortBy").map(String::as_str), None | Some("LAST_MODIFIED" | "CREATED")) {
        return api_error(StatusCode::BAD_REQUEST, 0, "ILLEGAL_ARGUMENT", "sortBy must be LAST_MODIFIED or CREATED");
    }
    let number = |k: &str, default: usize| q.get(k).and_then(|v| v.parse::<usize>().ok()).unwrap_or(default);
    let (start, count) = (number("start", 0), number("count", 10).clamp(1, 100));
    let posts = sb.posts_of(P, &account.id, 0);
    let total = posts.len();
    let elements: Vec<Value> = posts
        .into_iter()
        .skip(start)
        .take(count)
        .map(|e| {
            json!({
                "id": e.post_id, "author": author, "commentary": escaped(&e.text), "visibility": "PUBLIC",
                "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
                "lifecycleState": "PUBLISHED", "lifecycleStateInfo": {"isEditedByAuthor": false}, "isReshareDisabledByAuthor": false,
                "createdAt": e.at_ms, "publishedAt": e.at_ms, "lastModifiedAt": e.at_ms,
            })
        })
        .collect();
    Json(json!({"paging": {"start": start, "count": count, "links": [], "total": total}, "elements": elements})).into_response()
}

/// `socialActions` on member posts needs `r_member_social`, a closed permission normal apps
/// never get: LinkedIn answers 403 ACCESS_DENIED, as it does here.
async fn social_actions(State(sb): State<Sandbox>, headers: HeaderMap, Path(urn): Path<String>) -> Response {
    if let Err(r) = rest_guard(&sb, &headers) {
        return *r;
    }
    api_error(StatusCode::FORBIDDEN, 100, "ACCESS_DENIED", &format!("Not enough permissions to access: socialActions.GET.20250101 {urn}"))
}

/// Member Post Analytics: `?q=entity&entity=(share:<urn>)&queryType=…&aggregation=TOTAL`,
/// one metric per request (the sandbox's app is approved for the product).
async fn member_analytics(State(sb): State<Sandbox>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = rest_guard(&sb, &headers) {
        return *r;
    }
    if q.get("q").map(String::as_str) != Some("entity") {
        return api_error(StatusCode::BAD_REQUEST, 0, "ILLEGAL_ARGUMENT", "q must be entity");
    }
    let entity = q.get("entity").map(String::as_str).unwrap_or("");
    let Some(urn) = entity.strip_prefix('(').and_then(|e| e.strip_suffix(')')).and_then(|e| e.split_once(':')).map(|(_, u)| u) else {
        return api_error(StatusCode::BAD_REQUEST, 0, "ILLEGAL_ARGUMENT", "entity must be (share:<urn>) or (ugc:<urn>)");
    };
    let Some((views, likes, comments, shares)) = sb.metrics_for(urn) else {
        return api_error(StatusCode::NOT_FOUND, 0, "NOT_FOUND", &format!("Not found: {urn}"));
    };
    let kind = q.get("queryType").map(String::as_str).unwrap_or("");
    let count = match kind {
        "IMPRESSION" => views + views / 3,
        "MEMBERS_REACHED" => views,
        "REACTION" => likes,
        "COMMENT" => comments,
        "RESHARE" => shares,
        _ => return api_error(StatusCode::BAD_REQUEST, 0, "ILLEGAL_ARGUMENT", "unknown queryType"),
    };
    Json(json!({
        "paging": {"start": 0, "count": 10, "links": []},
        "elements": [{"count": count, "metricType": {"com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1": kind}}],
    }))
    .into_response()
}
