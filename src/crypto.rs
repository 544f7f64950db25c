//! Secrets and primitives: the instance keys (generated into the data directory on first
//! start), AES-256-GCM for tokens at rest, opaque random tokens and their hashes.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::Context;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Instance-wide secret keys. `Debug` never prints them.
#[derive(Clone)]
pub struct Keys {
    pub jwt: Vec<u8>,
    pub encryption: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(***)")
    }
}

impl Keys {
    /// Keys from explicit base64 values (env), else from `<dir>/jwt.key` and
    /// `<dir>/encryption.key`, generating the files on first start.
    pub fn load_or_create(dir: &Path, jwt_b64: Option<&str>, enc_b64: Option<&str>) -> anyhow::Result<Self> {
        let jwt = match jwt_b64 {
            Some(v) => STANDARD.decode(v.trim()).context("JWT_SECRET must be base64")?,
            None => file_key(&dir.join("jwt.key"), 64)?,
        };
        let enc = match enc_b64 {
            Some(v) => STANDARD.decode(v.trim()).context("ENCRYPTION_KEY must be base64")?,
            None => file_key(&dir.join("encryption.key"), 32)?,
        };
        anyhow::ensure!(jwt.len() >= 32, "the JWT secret must be at least 32 bytes");
        let encryption: [u8; 32] = enc.try_into().map_err(|_| anyhow::anyhow!("the encryption key must be exactly 32 bytes"))?;
        Ok(Self { jwt, encryption })
    }

    /// Fresh random keys (tests and throwaway demo instances).
    pub fn random() -> Self {
        let mut jwt = vec![0u8; 64];
        rand::thread_rng().fill_bytes(&mut jwt);
        let mut encryption = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut encryption);
        Self { jwt, encryption }
    }

    /// `base64(nonce || ciphertext)`; a new random nonce per message.
    pub fn encrypt(&self, plaintext: &str) -> String {
        let cipher = Aes256Gcm::new((&self.encryption).into());
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct =
            cipher.encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes()).expect("AES-GCM encryption cannot fail for in-memory data");
        let mut out = nonce.to_vec();
        out.extend(ct);
        STANDARD.encode(out)
    }

    pub fn decrypt(&self, sealed: &str) -> anyhow::Result<String> {
        let raw = STANDARD.decode(sealed).context("sealed value is not base64")?;
        anyhow::ensure!(raw.len() > 12, "sealed value too short");
        let cipher = Aes256Gcm::new((&self.encryption).into());
        let pt = cipher
            .decrypt(Nonce::from_slice(&raw[..12]), &raw[12..])
            .map_err(|_| anyhow::anyhow!("sealed value failed authentication (wrong key or tampered)"))?;
        String::from_utf8(pt).context("sealed value is not UTF-8")
    }
}

fn file_key(path: &Path, len: usize) -> anyhow::Result<Vec<u8>> {
    if path.exists() {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return STANDARD.decode(text.trim()).with_context(|| format!("{} is not base64", path.display()));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut key = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut key);
    write_private(path, &STANDARD.encode(&key))?;
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("creating {}", path.display()))
}

/// A 256-bit random token, URL-safe.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// What we store instead of a bearer token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time equality for secrets of equal length.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_tamper() {
        let k = Keys::random();
        let sealed = k.encrypt("secret-token");
        assert!(!sealed.contains("secret"));
        assert_eq!(k.decrypt(&sealed).unwrap(), "secret-token");
        let mut raw = STANDARD.decode(&sealed).unwrap();
        *raw.last_mut().unwrap() ^= 1;
        assert!(k.decrypt(&STANDARD.encode(raw)).is_err());
        assert!(Keys::random().decrypt(&sealed).is_err());
    }

    #[test]
    fn keys_persist_in_dir() {
        let dir = std::env::temp_dir().join(format!("cov-keys-{}", random_token()));
        let a = Keys::load_or_create(&dir, None, None).unwrap();
        let b = Keys::load_or_create(&dir, None, None).unwrap();
        assert_eq!(a.jwt, b.jwt);
        assert_eq!(a.encryption, b.encryption);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
