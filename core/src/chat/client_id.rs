use serde::{Deserialize, Serialize};

/// The sender's identifier of a message: 1 to 64 characters of
/// `[A-Za-z0-9_-]`, opaque to the server. Resending the same `client_id`
/// never stores a second copy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

/// Why a string is not a valid [`ClientId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdError {
    #[error("client_id is empty; use a UUID v7 or a ULID")]
    Empty,
    #[error("client_id is {0} characters; at most 64 are allowed")]
    TooLong(usize),
    #[error("client_id contains {0:?}; only A-Z, a-z, 0-9, '_' and '-' are allowed")]
    BadCharacter(char),
}

impl ClientId {
    /// Validates a client id.
    pub fn parse(text: &str) -> Result<Self, ClientIdError> {
        if text.is_empty() {
            return Err(ClientIdError::Empty);
        }
        if text.len() > 64 {
            return Err(ClientIdError::TooLong(text.chars().count()));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(ClientIdError::BadCharacter(bad));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ClientId {
    type Error = ClientIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<ClientId> for String {
    fn from(id: ClientId) -> Self {
        id.0
    }
}

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_uuid_and_ulid() {
        assert!(ClientId::parse("0190f3c2-7b1e-7cc0-9a55-3f1d2a6b9e01").is_ok());
        assert!(ClientId::parse("01J3K4M5N6P7Q8R9S0T1V2W3X4").is_ok());
    }

    #[test]
    fn rejects_empty_long_and_symbols() {
        assert_eq!(ClientId::parse(""), Err(ClientIdError::Empty));
        assert_eq!(
            ClientId::parse(&"a".repeat(65)),
            Err(ClientIdError::TooLong(65))
        );
        assert_eq!(
            ClientId::parse("a b"),
            Err(ClientIdError::BadCharacter(' '))
        );
    }
}
