//! Google Gemini image generation ("Nano Banana") on the user's own key, speaking the real
//! `generateContent` REST shapes. One request per click: nothing is retried automatically,
//! because every call costs the user money.

use super::MediaError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

pub const MODEL: &str = "gemini-2.5-flash-image";
pub const DEFAULT_BASE: &str = "https://generativelanguage.googleapis.com";
/// Gemini's messages are for people, but keep an unexpected one from flooding the UI.
const MESSAGE_MAX: usize = 300;

/// An image Gemini drew: its bytes and the type Gemini claims (checked again downstream).
#[derive(Debug)]
pub struct Generated {
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

/// The request body: text in, an image out, in `aspect` (e.g. "4:5").
pub fn request_body(prompt: &str, aspect: &str) -> Value {
    json!({
        "contents": [{"parts": [{"text": prompt}]}],
        "generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": aspect}},
    })
}

/// Largest `generateContent` answer we read.
pub const MAX_ANSWER_BYTES: usize = 32 << 20;

/// `POST {base}/v1beta/models/{MODEL}:generateContent`, key in `x-goog-api-key` (never in
/// the URL, where proxies and logs would keep it).
pub async fn generate(client: &reqwest::Client, base: &str, key: &str, prompt: &str, aspect: &str) -> Result<Generated, MediaError> {
    let url = format!("{}/v1beta/models/{MODEL}:generateContent", base.trim_end_matches('/'));
    let resp = client.post(url).header("x-goog-api-key", key).json(&request_body(prompt, aspect)).send().await.map_err(transport)?;
    let status = resp.status().as_u16();
    // An inline image is a few MB of base64; anything far bigger is not an answer.
    let body = crate::outbound::text_capped(resp, MAX_ANSWER_BYTES).await.map_err(|e| match e {
        crate::outbound::ReadError::TooLarge { limit } => provider(
            "gemini_answer_too_large",
            format!("Gemini sent more than {}; we stopped reading. Try again, or use a text card.", crate::outbound::mb(limit)),
        ),
        crate::outbound::ReadError::Transport(e) => transport(e),
    })?;
    parse_response(status, &body)
}

fn provider(code: &'static str, message: impl Into<String>) -> MediaError {
    MediaError::Provider { code, message: message.into() }
}

fn transport(e: reqwest::Error) -> MediaError {
    if e.is_timeout() {
        provider(
            "gemini_timeout",
            "Gemini did not answer in time. It was not asked again (each try is billed to your key); try once more, or use a text card.",
        )
    } else if e.is_connect() {
        provider("gemini_unreachable", "Gemini could not be reached. Check this server's internet connection, or use a text card.")
    } else {
        provider("gemini_unreachable", "The connection to Gemini broke before it answered. Try again, or use a text card.")
    }
}

fn short(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= MESSAGE_MAX {
        return s.to_string();
    }
    format!("{}…", s.chars().take(MESSAGE_MAX).collect::<String>())
}

/// Reads a `generateContent` answer: the first inline image, or a clear reason why not.
pub fn parse_response(status: u16, body: &str) -> Result<Generated, MediaError> {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        return Err(api_error(status, &v));
    }
    let candidate = &v["candidates"][0];
    let parts = candidate["content"]["parts"].as_array().cloned().unwrap_or_default();
    for p in &parts {
        // REST answers in camelCase; accept the snake_case the SDKs print too.
        let inline = if p["inlineData"].is_object() { &p["inlineData"] } else { &p["inline_data"] };
        let mime = inline["mimeType"].as_str().or_else(|| inline["mime_type"].as_str()).unwrap_or("");
        if let (true, Some(data)) = (mime.starts_with("image/"), inline["data"].as_str()) {
            let bytes = STANDARD
                .decode(data.trim())
                .map_err(|_| provider("gemini_bad_response", "Gemini sent an image that could not be read. Try again."))?;
            return Ok(Generated { mime_type: mime.to_string(), bytes });
        }
    }
    let reason = v["promptFeedback"]["blockReason"]
        .as_str()
        .or_else(|| candidate["finishReason"].as_str().filter(|r| *r != "STOP"))
        .map(str::to_string);
    let said = parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join(" ");
    let mut msg = match &reason {
        Some(r) => format!("Gemini declined to draw this image ({r})."),
        None => "Gemini declined to draw this image.".to_string(),
    };
    if !said.trim().is_empty() {
        msg.push_str(&format!(" It said: \"{}\"", short(&said)));
    }
    msg.push_str(" Rephrase the prompt, or use a text card instead.");
    Err(provider("gemini_declined", msg))
}

/// Google's error envelope: `{"error": {"code", "message", "status", "details": [...]}}`.
fn api_error(status: u16, v: &Value) -> MediaError {
    let e = &v["error"];
    let gstatus = e["status"].as_str().unwrap_or("");
    let message = short(e["message"].as_str().unwrap_or(""));
    let reason = e["details"].as_array().and_then(|d| d.iter().find_map(|x| x["reason"].as_str())).unwrap_or("");
    let said = if message.is_empty() { String::new() } else { format!(" Gemini said: \"{message}\"") };
    let key_rejected = reason == "API_KEY_INVALID" || message.contains("API key") || status == 401 || gstatus == "UNAUTHENTICATED";
    match (status, gstatus) {
        (400 | 401, _) if key_rejected => provider(
            "gemini_key_rejected",
            "Your Gemini key was rejected. Check it in Settings (copy it again from Google AI Studio) and try again.",
        ),
        (403, _) | (_, "PERMISSION_DENIED") => provider(
            "gemini_permission_denied",
            format!(
                "Your Gemini key is not allowed to use the image model (PERMISSION_DENIED). Enable the Gemini API for the key's project, or create a new key in Google AI Studio.{said}"
            ),
        ),
        (429, _) | (_, "RESOURCE_EXHAUSTED") => provider(
            "gemini_quota",
            "Your Gemini quota is used up (RESOURCE_EXHAUSTED). Check your plan and billing in Google AI Studio, wait for the quota to reset, or use a text card for now.",
        ),
        (404, _) => provider("gemini_model_unavailable", format!("The Gemini image model {MODEL} is not available to your key.{said}")),
        (400, _) => provider("gemini_invalid_request", format!("Gemini could not use this request.{said}")),
        (500..=599, _) => provider("gemini_unavailable", "Gemini is having trouble right now. Try again in a few minutes, or use a text card."),
        _ => provider("gemini_error", format!("Gemini answered with an error (HTTP {status}).{said}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<Generated, MediaError>) -> (&'static str, String) {
        match r {
            Err(MediaError::Provider { code, message }) => (code, message),
            other => panic!("expected a provider error, got {other:?}"),
        }
    }

    #[test]
    fn reads_the_inline_image_after_any_text_part() {
        let body = json!({"candidates": [{"content": {"parts": [
            {"text": "Here you go"},
            {"inlineData": {"mimeType": "image/png", "data": STANDARD.encode(b"\x89PNG fake")}}
        ], "role": "model"}, "finishReason": "STOP"}]});
        let g = parse_response(200, &body.to_string()).unwrap();
        assert_eq!((g.mime_type.as_str(), g.bytes.as_slice()), ("image/png", b"\x89PNG fake".as_slice()));
    }

    #[test]
    fn maps_googles_errors_to_actionable_messages() {
        let bad_key = json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}});
        let (c, m) = code(parse_response(400, &bad_key.to_string()));
        assert_eq!(c, "gemini_key_rejected");
        assert!(m.starts_with("Your Gemini key was rejected"));
        let quota = json!({"error": {"code": 429, "message": "You exceeded your current quota.", "status": "RESOURCE_EXHAUSTED"}});
        assert_eq!(code(parse_response(429, &quota.to_string())).0, "gemini_quota");
        let denied =
            json!({"error": {"code": 403, "message": "Method doesn't allow unregistered callers.", "status": "PERMISSION_DENIED"}});
        let (c, m) = code(parse_response(403, &denied.to_string()));
        assert_eq!(c, "gemini_permission_denied");
        assert!(m.contains("unregistered callers"), "Google's own words help: {m}");
        assert_eq!(code(parse_response(503, "<html>oops</html>")).0, "gemini_unavailable");
    }

    #[test]
    fn a_blocked_prompt_is_a_decline_with_its_reason() {
        let blocked = json!({"promptFeedback": {"blockReason": "SAFETY"}});
        let (c, m) = code(parse_response(200, &blocked.to_string()));
        assert_eq!(c, "gemini_declined");
        assert!(m.starts_with("Gemini declined to draw this image (SAFETY)."), "{m}");
        let no_image = json!({"candidates": [{"content": {"parts": [{"text": "I can't make that."}]}, "finishReason": "IMAGE_SAFETY"}]});
        let (_, m) = code(parse_response(200, &no_image.to_string()));
        assert!(m.contains("(IMAGE_SAFETY)") && m.contains("I can't make that."), "{m}");
    }
}
