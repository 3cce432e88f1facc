//! Signed, expiring session tokens.
//!
//! A token is `<payload>.<signature>`, both base64url without padding. The
//! payload is the JSON `{"sub": user_id, "exp": unix_seconds}` and the
//! signature is HMAC-SHA256 of the encoded payload under the server's secret.
//! The secret is 32 random bytes kept in a file (hex), created on first use,
//! so the `token` subcommand and a running server agree.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

const SECRET_BYTES: usize = 32;

/// Issues and verifies tokens with one secret key.
#[derive(Clone)]
pub struct TokenSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner { key: <redacted> }")
    }
}

/// Identity and expiry proven by a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub user_id: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    sub: String,
    exp: i64,
}

/// Reason a token was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is missing; send it as `Authorization: Bearer <token>` or `token=<token>`")]
    Missing,
    #[error("token is malformed; expected `<payload>.<signature>` in base64url")]
    Malformed,
    #[error("token signature is invalid; request a new token from this server")]
    BadSignature,
    #[error("token expired at unix time {0}; request a new token")]
    Expired(i64),
}

/// Failure to read or create the secret file.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("failed to read or create the token secret {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "token secret {path} is invalid: expected {SECRET_BYTES} or more bytes in hex; delete it to create a new one (issued tokens become invalid)"
    )]
    Invalid { path: PathBuf },
}

impl TokenSigner {
    /// Builds a signer from raw key bytes.
    pub fn from_key(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    /// Reads the hex secret at `path`, or creates it (mode 0600 on Unix) with
    /// fresh random bytes when the file does not exist.
    ///
    /// Two processes that start at once (`serve` and `token`) agree on one
    /// secret: the file appears whole through a hard link, which fails when
    /// another process linked its file first, and then that file is read.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretError> {
        let io_error = |source| SecretError::Io {
            path: path.to_owned(),
            source,
        };

        match fs::read_to_string(path) {
            Ok(text) => Self::from_hex_file(path, &text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let mut key = vec![0u8; SECRET_BYTES];
                rand::rng().fill_bytes(&mut key);
                match write_new_secret(path, &encode_hex(&key)) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), "created token secret");
                        Ok(Self::from_key(key))
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                        let text = fs::read_to_string(path).map_err(io_error)?;
                        Self::from_hex_file(path, &text)
                    }
                    Err(err) => Err(io_error(err)),
                }
            }
            Err(err) => Err(io_error(err)),
        }
    }

    fn from_hex_file(path: &Path, text: &str) -> Result<Self, SecretError> {
        let invalid = || SecretError::Invalid {
            path: path.to_owned(),
        };
        let key = decode_hex(text.trim()).ok_or_else(invalid)?;
        if key.len() < SECRET_BYTES {
            return Err(invalid());
        }
        Ok(Self::from_key(key))
    }

    /// Issues a token for `user_id` that expires at `expires_at`.
    pub fn issue(&self, user_id: &str, expires_at: OffsetDateTime) -> String {
        let payload = Payload {
            sub: user_id.to_owned(),
            exp: expires_at.unix_timestamp(),
        };
        // serde_json fails only on maps with non-string keys and on failing
        // Serialize impls, and this struct has neither.
        let json = serde_json::to_vec(&payload).unwrap_or_default();
        let encoded = URL_SAFE_NO_PAD.encode(json);
        let signature = URL_SAFE_NO_PAD.encode(self.sign(encoded.as_bytes()));
        format!("{encoded}.{signature}")
    }

    /// Checks the signature and the expiry of `token` at time `now`.
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Claims, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        let (encoded, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;

        let mut mac = self.mac();
        mac.update(encoded.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;

        let json = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| TokenError::Malformed)?;
        let payload: Payload = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
        if payload.exp <= now.unix_timestamp() {
            return Err(TokenError::Expired(payload.exp));
        }
        let expires_at =
            OffsetDateTime::from_unix_timestamp(payload.exp).map_err(|_| TokenError::Malformed)?;
        Ok(Claims {
            user_id: payload.sub,
            expires_at,
        })
    }

    fn sign(&self, data: &[u8]) -> Vec<u8> {
        let mut mac = self.mac();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    fn mac(&self) -> HmacSha256 {
        // `new_from_slice` fails only for fixed-size keys, and HMAC takes keys
        // of any length.
        HmacSha256::new_from_slice(&self.key).expect("HMAC accepts keys of any length")
    }
}

/// Returns the default secret path: the database path with `.secret` appended.
pub fn default_secret_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".secret");
    PathBuf::from(name)
}

/// Writes the secret to a temporary file beside `path`, then hard-links it
/// to `path`, so no reader ever sees a partial file. Fails with
/// `AlreadyExists` when `path` exists.
fn write_new_secret(path: &Path, hex: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{:016x}.tmp", rand::rng().next_u64()));
    let temporary = PathBuf::from(temporary);

    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(hex.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()
    });
    let linked = written.and_then(|()| fs::hard_link(&temporary, path));

    if let Err(err) = fs::remove_file(&temporary) {
        tracing::warn!(path = %temporary.display(), error = %err, "failed to remove temporary secret file");
    }
    linked
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn signer() -> TokenSigner {
        TokenSigner::from_key(vec![7u8; 32])
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("valid timestamp")
    }

    #[test]
    fn token_round_trips_claims() {
        let expires_at = now() + Duration::hours(1);
        let token = signer().issue("r1", expires_at);
        let claims = signer().verify(&token, now()).expect("valid token");
        assert_eq!(claims.user_id, "r1");
        assert_eq!(claims.expires_at, expires_at);
    }

    #[test]
    fn token_expired_is_rejected() {
        let expires_at = now() - Duration::seconds(1);
        let token = signer().issue("r1", expires_at);
        assert_eq!(
            signer().verify(&token, now()),
            Err(TokenError::Expired(expires_at.unix_timestamp()))
        );
    }

    #[test]
    fn token_from_other_key_is_rejected() {
        let token = TokenSigner::from_key(vec![8u8; 32]).issue("r1", now() + Duration::hours(1));
        assert_eq!(
            signer().verify(&token, now()),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn token_with_edited_payload_is_rejected() {
        let token = signer().issue("r1", now() + Duration::hours(1));
        let (_, signature) = token.split_once('.').expect("two parts");
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"d1","exp":1900000000}"#);
        let forged = format!("{forged_payload}.{signature}");
        assert_eq!(
            signer().verify(&forged, now()),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn token_garbage_is_malformed() {
        assert_eq!(signer().verify("", now()), Err(TokenError::Missing));
        assert_eq!(signer().verify("abc", now()), Err(TokenError::Malformed));
        assert_eq!(signer().verify("a.!!", now()), Err(TokenError::Malformed));
    }

    #[test]
    fn secret_file_is_created_then_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested").join("db.secret");
        let first = TokenSigner::load_or_create(&path).expect("created");
        let second = TokenSigner::load_or_create(&path).expect("reloaded");
        let token = first.issue("r1", now() + Duration::hours(1));
        assert!(second.verify(&token, now()).is_ok());
    }

    #[test]
    fn secret_created_concurrently_is_shared() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.secret");
        let loaders: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || TokenSigner::load_or_create(&path).expect("loaded"))
            })
            .collect();
        let signers: Vec<TokenSigner> = loaders
            .into_iter()
            .map(|loader| loader.join().expect("thread"))
            .collect();

        let token = signers[0].issue("r1", now() + Duration::hours(1));
        for signer in &signers {
            assert!(signer.verify(&token, now()).is_ok());
        }
        let leftovers = fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(leftovers, 1, "only the secret file remains");
    }

    #[test]
    fn secret_file_with_garbage_is_invalid() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.secret");
        fs::write(&path, "not hex").expect("write");
        let result = TokenSigner::load_or_create(&path);
        assert!(matches!(result, Err(SecretError::Invalid { .. })));
    }

    #[test]
    fn default_secret_sits_beside_db() {
        let path = default_secret_path(Path::new("/var/lib/ridechat.sqlite3"));
        assert_eq!(path, PathBuf::from("/var/lib/ridechat.sqlite3.secret"));
    }
}
