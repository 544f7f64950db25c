//! The JSON request bodies the API accepts (drafts, templates, AI settings and generation,
//! posts, series, queue items, image generation), deserialised from arbitrary bytes: no
//! panics, a typed parse only succeeds on well-formed JSON with an object (or array) on top, and the typed fields agree with the
//! same document parsed as an untyped `serde_json::Value` (including a draft's
//! absent / null / value distinction).
#![no_main]

use covalynce::ai::{AiSettingsInput, GenerateRequest as TextRequest};
use covalynce::drafts::{DraftInput, TemplateInput};
use covalynce::media::GenerateRequest as ImageRequest;
use covalynce::publish::NewPost;
use covalynce::schedule::{QueueItem, SeriesInput};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// The document when it is an object (serde also accepts a struct as an array of its
/// fields, in declaration order; those are only checked for not panicking).
fn obj(v: &Result<Value, serde_json::Error>) -> Option<&Value> {
    v.as_ref().ok().filter(|v| v.is_object())
}

/// `None` absent, `Some(None)` null, `Some(Some(_))` a string.
fn tri(v: &Value, k: &str) -> Option<Option<String>> {
    v.get(k).map(|x| x.as_str().map(str::to_string))
}

fuzz_target!(|data: &[u8]| {
    let value = serde_json::from_slice::<Value>(data);
    let typed_ok = [
        serde_json::from_slice::<DraftInput>(data).map(|d| {
            let Some(v) = obj(&value) else { return };
            assert_eq!(d.title, s(v, "title"));
            assert_eq!(d.idea, s(v, "idea"));
            assert_eq!(d.template_id, tri(v, "template_id"));
            assert_eq!(d.image_url, tri(v, "image_url"));
            assert_eq!(d.image_generated, v.get("image_generated").and_then(Value::as_bool));
            assert_eq!(d.variants.map(|m| m.len()), v.get("variants").and_then(Value::as_object).map(|o| o.len()));
        }),
        serde_json::from_slice::<TemplateInput>(data).map(|t| {
            let Some(v) = obj(&value) else { return };
            assert_eq!(t.name, s(v, "name"));
            assert_eq!(t.bodies.map(|m| m.len()), v.get("bodies").and_then(Value::as_object).map(|o| o.len()));
        }),
        serde_json::from_slice::<AiSettingsInput>(data).map(|a| {
            let Some(v) = obj(&value) else { return };
            assert_eq!(a.openai_key, s(v, "openai_key"));
            assert_eq!(a.gemini_key, s(v, "gemini_key"));
        }),
        serde_json::from_slice::<TextRequest>(data).map(|g| {
            let Some(v) = obj(&value) else { return };
            assert_eq!(Some(g.idea), s(v, "idea"));
            assert_eq!(g.platforms.len(), v.get("platforms").and_then(Value::as_array).map_or(0, Vec::len));
        }),
        serde_json::from_slice::<NewPost>(data).map(|p| {
            let Some(v) = obj(&value) else { return };
            assert_eq!(Some(p.connection_id), s(v, "connection_id"));
            assert_eq!(Some(p.text), s(v, "text"));
            assert_eq!(p.scheduled_at, v.get("scheduled_at").and_then(Value::as_i64));
        }),
        serde_json::from_slice::<SeriesInput>(data).map(|r| {
            let Some(v) = obj(&value) else { return };
            assert_eq!(r.connection_ids.len(), v.get("connection_ids").and_then(Value::as_array).map_or(0, Vec::len));
            assert_eq!(r.text, s(v, "text"));
        }),
        serde_json::from_slice::<QueueItem>(data).map(|q| {
            let Some(v) = obj(&value) else { return };
            assert_eq!(q.connection_id, s(v, "connection_id").unwrap_or_default());
            assert_eq!(q.text, s(v, "text").unwrap_or_default());
        }),
        serde_json::from_slice::<ImageRequest>(data).map(|g| {
            let Some(v) = obj(&value) else { return };
            assert_eq!(Some(g.prompt), s(v, "prompt"));
            assert_eq!(g.platform, s(v, "platform"));
        }),
    ]
    .iter()
    .any(Result::is_ok);
    // A typed parse implies syntactically valid JSON whose top level is an object (or serde's
    // array form). Not "valid as a Value": serde_json checks neither UTF-8 nor number range in
    // fields a type ignores (both found by this target; harmless, such fields are never read).
    if typed_ok {
        assert!(serde_json::from_slice::<serde::de::IgnoredAny>(data).is_ok());
        let first = data.iter().find(|b| !b.is_ascii_whitespace());
        assert!(matches!(first, Some(b'{' | b'[')), "{value:?}");
    }
});
