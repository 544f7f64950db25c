//! HS256 JWTs signed with the instance key: access tokens and short-lived signed cookies.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub fn encode<T: Serialize>(claims: &T, key: &[u8]) -> anyhow::Result<String> {
    Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(key))?)
}

/// `None` for a bad signature, a wrong algorithm or an expired token (no leeway).
pub fn decode<T: DeserializeOwned>(token: &str, key: &[u8]) -> Option<T> {
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = 0;
    v.required_spec_claims = ["exp"].into_iter().map(String::from).collect();
    jsonwebtoken::decode::<T>(token, &DecodingKey::from_secret(key), &v).ok().map(|d| d.claims)
}
