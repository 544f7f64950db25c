//! Secrets and primitives: the instance keys (generated into the data directory on first
//! start), AES-256-GCM for tokens at rest (with key ids, so keys can rotate), opaque random
//! tokens and their hashes.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::Context;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Instance-wide secret keys. `Debug` never prints them.
///
/// Sealed values are `v1.<kid>.<base64(nonce || ciphertext)>`: `kid` names the encryption key
/// (see [`key_id`]), so a value finds its key after a rotation. Values sealed before key ids
/// existed are bare base64 and are tried against every key. Clones share one key ring.
#[derive(Clone)]
pub struct Keys {
    pub jwt: Vec<u8>,
    ring: Arc<RwLock<Ring>>,
    /// Set when the encryption keys are files: a value under a key id this process has not
    /// seen (`covalynce rotate-key` ran meanwhile) reloads them instead of failing.
    dir: Option<PathBuf>,
}

/// The primary key seals; retired keys (older primaries) only unseal.
#[derive(Clone)]
struct Ring {
    primary: [u8; 32],
    retired: Vec<[u8; 32]>,
}

impl Ring {
    fn find(&self, kid: &str) -> Option<[u8; 32]> {
        std::iter::once(&self.primary).chain(&self.retired).find(|k| key_id(k) == kid).copied()
    }
    fn all(&self) -> Vec<[u8; 32]> {
        std::iter::once(self.primary).chain(self.retired.iter().copied()).collect()
    }
}

const SEALED_PREFIX: &str = "v1.";
const PRIMARY_FILE: &str = "encryption.key";
/// Retired keys live next to the primary as `encryption.key.old-<kid>`.
const RETIRED_PREFIX: &str = "encryption.key.old-";

/// A key's public name: the first 8 hex digits of its SHA-256.
pub fn key_id(key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(key)[..4])
}

/// The key id a sealed value names; `None` for a value from before key ids.
pub fn sealed_key_id(sealed: &str) -> Option<&str> {
    sealed.strip_prefix(SEALED_PREFIX)?.split_once('.').map(|(kid, _)| kid)
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(***)")
    }
}

impl Keys {
    /// Keys from explicit base64 values (env), else from files in `dir`, generating them on
    /// first start: `jwt.key`, `encryption.key` (the primary) and any retired
    /// `encryption.key.old-<kid>`. `enc_b64` may list several comma-separated keys: the first
    /// seals, all of them unseal (so replicas can learn a new key before anyone uses it).
    pub fn load_or_create(dir: &Path, jwt_b64: Option<&str>, enc_b64: Option<&str>) -> anyhow::Result<Self> {
        let jwt = match jwt_b64 {
            Some(v) => STANDARD.decode(v.trim()).context("JWT_SECRET must be base64")?,
            None => file_key(&dir.join("jwt.key"), 64)?,
        };
        anyhow::ensure!(jwt.len() >= 32, "the JWT secret must be at least 32 bytes");
        let (ring, dir) = match enc_b64 {
            Some(list) => {
                let mut keys = vec![];
                for v in list.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                    keys.push(enc_key(&STANDARD.decode(v).context("ENCRYPTION_KEY must be base64 (comma-separated for several)")?)?);
                }
                anyhow::ensure!(!keys.is_empty(), "ENCRYPTION_KEY is empty");
                let primary = keys.remove(0);
                (Ring { primary, retired: keys }, None)
            }
            None => (ring_from_dir(dir)?, Some(dir.to_path_buf())),
        };
        Ok(Self { jwt, ring: Arc::new(RwLock::new(ring)), dir })
    }

    /// Fresh random keys (tests and throwaway demo instances).
    pub fn random() -> Self {
        let mut jwt = vec![0u8; 64];
        rand::thread_rng().fill_bytes(&mut jwt);
        Self::from_keys(jwt, random_key(), vec![])
    }

    /// Explicit keys: `primary` seals, `retired` only unseal.
    pub fn from_keys(jwt: Vec<u8>, primary: [u8; 32], retired: Vec<[u8; 32]>) -> Self {
        Self { jwt, ring: Arc::new(RwLock::new(Ring { primary, retired })), dir: None }
    }

    /// Generates a new primary key in `dir` and keeps the current one as retired, so every
    /// value sealed so far still opens. Returns the keys with the new primary.
    pub fn rotate_in_dir(dir: &Path, jwt_b64: Option<&str>) -> anyhow::Result<Self> {
        let current = ring_from_dir(dir)?;
        let old = dir.join(format!("{RETIRED_PREFIX}{}", key_id(&current.primary)));
        // Retire first: a crash between the two writes leaves the old key in both files,
        // never lost.
        if !old.exists() {
            write_private(&old, &STANDARD.encode(current.primary))?;
        }
        let tmp = dir.join(format!("{PRIMARY_FILE}.new"));
        let _ = std::fs::remove_file(&tmp);
        write_private(&tmp, &STANDARD.encode(random_key()))?;
        std::fs::rename(&tmp, dir.join(PRIMARY_FILE)).context("replacing encryption.key")?;
        Self::load_or_create(dir, jwt_b64, None)
    }

    /// The id of the key new values are sealed with.
    pub fn primary_id(&self) -> String {
        key_id(&self.ring().primary)
    }

    /// Ids of every key this process can unseal with, primary first.
    pub fn key_ids(&self) -> Vec<String> {
        self.ring().all().iter().map(key_id).collect()
    }

    fn ring(&self) -> Ring {
        self.ring.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// `v1.<kid>.base64(nonce || ciphertext)`; a new random nonce per message. The prefix is
    /// authenticated too (AES-GCM associated data), so it cannot be swapped or stripped.
    /// A new sealed column must also be listed in `key_rotation::SEALED`.
    pub fn encrypt(&self, plaintext: &str) -> String {
        let key = self.ring().primary;
        let prefix = format!("{SEALED_PREFIX}{}.", key_id(&key));
        let cipher = Aes256Gcm::new((&key).into());
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: prefix.as_bytes() })
            .expect("AES-GCM encryption cannot fail for in-memory data");
        let mut out = nonce.to_vec();
        out.extend(ct);
        prefix + &STANDARD.encode(out)
    }

    pub fn decrypt(&self, sealed: &str) -> anyhow::Result<String> {
        let Some(kid) = sealed_key_id(sealed) else {
            // From before key ids: whichever key opens it (GCM authentication tells).
            let raw = split_sealed(sealed)?;
            return self.ring().all().iter().find_map(|k| open(k, raw.as_slice(), b"")).context(FAILED)?;
        };
        let prefix_len = SEALED_PREFIX.len() + kid.len() + 1;
        let raw = split_sealed(&sealed[prefix_len..])?;
        let key = match self.ring().find(kid) {
            Some(k) => k,
            None => self.reload()?.find(kid).with_context(|| format!("sealed value names an unknown key {kid:?}"))?,
        };
        open(&key, &raw, &sealed.as_bytes()[..prefix_len]).context(FAILED)?
    }

    /// `Some(value sealed under the primary key)` when `sealed` is under another key (or has
    /// no key id); `None` when it already is under the primary.
    pub fn reseal(&self, sealed: &str) -> anyhow::Result<Option<String>> {
        if sealed_key_id(sealed) == Some(self.primary_id().as_str()) {
            return Ok(None);
        }
        Ok(Some(self.encrypt(&self.decrypt(sealed)?)))
    }

    /// Re-reads the key files (another process rotated); env keys never change.
    fn reload(&self) -> anyhow::Result<Ring> {
        let Some(dir) = &self.dir else { return Ok(self.ring()) };
        let fresh = ring_from_dir(dir)?;
        *self.ring.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
        Ok(fresh)
    }
}

const FAILED: &str = "sealed value failed authentication (wrong key or tampered)";

fn split_sealed(b64: &str) -> anyhow::Result<Vec<u8>> {
    let raw = STANDARD.decode(b64).context("sealed value is not base64")?;
    anyhow::ensure!(raw.len() > 12, "sealed value too short");
    Ok(raw)
}

/// `None` when the key does not authenticate the value; `Some(Err)` when it does but the
/// plaintext is not text.
fn open(key: &[u8; 32], raw: &[u8], aad: &[u8]) -> Option<anyhow::Result<String>> {
    let pt = Aes256Gcm::new(key.into()).decrypt(Nonce::from_slice(&raw[..12]), Payload { msg: &raw[12..], aad }).ok()?;
    Some(String::from_utf8(pt).context("sealed value is not UTF-8"))
}

fn random_key() -> [u8; 32] {
    let mut k = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut k);
    k
}

fn enc_key(raw: &[u8]) -> anyhow::Result<[u8; 32]> {
    raw.try_into().map_err(|_| anyhow::anyhow!("the encryption key must be exactly 32 bytes"))
}

/// `encryption.key` (created on first start) and every `encryption.key.old-*` in `dir`.
fn ring_from_dir(dir: &Path) -> anyhow::Result<Ring> {
    let primary = enc_key(&file_key(&dir.join(PRIMARY_FILE), 32)?)?;
    let mut retired = vec![];
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(RETIRED_PREFIX))
        .collect();
    names.sort();
    for n in names {
        let k = enc_key(&file_key(&dir.join(&n), 32)?).with_context(|| format!("{n} in {}", dir.display()))?;
        if k != primary && !retired.contains(&k) {
            retired.push(k);
        }
    }
    Ok(Ring { primary, retired })
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

    /// A value sealed the way Covalynce did before key ids: bare base64(nonce || ct).
    fn legacy_seal(key: &[u8; 32], plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = Aes256Gcm::new(key.into()).encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes()).unwrap();
        STANDARD.encode([nonce.to_vec(), ct].concat())
    }

    fn temp_dir(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!("cov-keys-{tag}-{}", random_token()))
    }

    #[test]
    fn seal_round_trip_and_tamper() {
        let k = Keys::random();
        let sealed = k.encrypt("secret-token");
        assert!(!sealed.contains("secret"));
        assert_eq!(k.decrypt(&sealed).unwrap(), "secret-token");
        let (prefix, b64) = sealed.rsplit_once('.').unwrap();
        let mut raw = STANDARD.decode(b64).unwrap();
        *raw.last_mut().unwrap() ^= 1;
        assert!(k.decrypt(&format!("{prefix}.{}", STANDARD.encode(raw))).is_err());
        assert!(Keys::random().decrypt(&sealed).is_err());
    }

    #[test]
    fn versioned_values_name_their_key() {
        let k = Keys::random();
        let sealed = k.encrypt("token");
        assert_eq!(sealed_key_id(&sealed), Some(k.primary_id().as_str()));
        assert!(sealed.starts_with(&format!("v1.{}.", k.primary_id())));
        assert_eq!(k.primary_id().len(), 8);
        assert_eq!(k.decrypt(&sealed).unwrap(), "token");
        assert_eq!(k.reseal(&sealed).unwrap(), None, "already under the primary");
    }

    #[test]
    fn legacy_values_still_decrypt() {
        let key = random_key();
        let k = Keys::from_keys(vec![0; 64], key, vec![]);
        let legacy = legacy_seal(&key, "old-token");
        assert_eq!(sealed_key_id(&legacy), None);
        assert_eq!(k.decrypt(&legacy).unwrap(), "old-token");
        // …also once that key is retired, and resealing moves it under the primary.
        let rotated = Keys::from_keys(vec![0; 64], random_key(), vec![key]);
        assert_eq!(rotated.decrypt(&legacy).unwrap(), "old-token");
        let new = rotated.reseal(&legacy).unwrap().unwrap();
        assert_eq!(sealed_key_id(&new), Some(rotated.primary_id().as_str()));
        assert_eq!(rotated.decrypt(&new).unwrap(), "old-token");
        assert!(Keys::random().decrypt(&legacy).is_err());
    }

    #[test]
    fn tampered_key_id_is_rejected() {
        let (a, b) = (random_key(), random_key());
        let k = Keys::from_keys(vec![0; 64], a, vec![b]);
        let sealed = k.encrypt("token");
        let body = sealed.rsplit_once('.').unwrap().1;
        // Another known key, an unknown one, a garbled one, or the prefix stripped (downgrade
        // to a legacy value): the id is authenticated, so all fail.
        assert!(k.decrypt(&format!("v1.{}.{body}", key_id(&b))).is_err());
        assert!(k.decrypt(&format!("v1.deadbeef.{body}")).unwrap_err().to_string().contains("unknown key"));
        assert!(k.decrypt(&format!("v1..{body}")).is_err());
        assert!(k.decrypt(body).is_err());
        assert!(k.decrypt("v1.").is_err() && k.decrypt("").is_err());
    }

    #[test]
    fn retired_keys_decrypt_but_never_seal() {
        let old = Keys::random();
        let sealed = old.encrypt("token");
        let old_key = old.ring().primary;
        let new = Keys::from_keys(vec![0; 64], random_key(), vec![old_key]);
        assert_eq!(new.decrypt(&sealed).unwrap(), "token");
        assert_ne!(sealed_key_id(&new.encrypt("x")), sealed_key_id(&sealed));
        let resealed = new.reseal(&sealed).unwrap().unwrap();
        assert!(old.decrypt(&resealed).is_err(), "the old key alone cannot read the new value");
        assert_eq!(new.key_ids(), vec![new.primary_id(), key_id(&old_key)]);
    }

    #[test]
    fn env_lists_primary_first() {
        let (a, b) = (random_key(), random_key());
        let list = format!("{}, {}", STANDARD.encode(a), STANDARD.encode(b));
        let jwt = STANDARD.encode([7u8; 32]);
        let k = Keys::load_or_create(Path::new("/nonexistent"), Some(&jwt), Some(&list)).unwrap();
        assert_eq!(k.key_ids(), vec![key_id(&a), key_id(&b)]);
        assert!(Keys::load_or_create(Path::new("/nonexistent"), Some(&jwt), Some("c2hvcnQ=")).is_err(), "not 32 bytes");
    }

    #[test]
    fn keys_persist_in_dir() {
        let dir = temp_dir("persist");
        let a = Keys::load_or_create(&dir, None, None).unwrap();
        let b = Keys::load_or_create(&dir, None, None).unwrap();
        assert_eq!(a.jwt, b.jwt);
        assert_eq!(a.key_ids(), b.key_ids());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rotating_in_dir_retires_the_old_key_and_running_processes_follow() {
        let dir = temp_dir("rotate");
        let running = Keys::load_or_create(&dir, None, None).unwrap();
        let before = running.encrypt("token");
        let rotated = Keys::rotate_in_dir(&dir, None).unwrap();
        assert_ne!(rotated.primary_id(), running.primary_id());
        assert_eq!(rotated.key_ids()[1], running.primary_id(), "the old primary is retired");
        assert!(dir.join(format!("encryption.key.old-{}", running.primary_id())).exists());
        assert_eq!(rotated.decrypt(&before).unwrap(), "token");
        // A process started before the rotation meets a value under the new key: it reloads
        // the files, reads it, and seals under the new key from then on.
        let after = rotated.encrypt("token2");
        assert_eq!(running.decrypt(&after).unwrap(), "token2");
        assert_eq!(running.primary_id(), rotated.primary_id());
        // Again: both older keys stay.
        let third = Keys::rotate_in_dir(&dir, None).unwrap();
        assert_eq!(third.key_ids().len(), 3);
        assert_eq!(third.decrypt(&before).unwrap(), "token");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
