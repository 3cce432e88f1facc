use std::fmt;

/// A topic of the chat contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// `inbox:<user_id>`: the user's list of conversations.
    Inbox(String),
    /// `ride:<ride_id>`: the conversation of one ride.
    Ride(String),
}

/// Why a topic string is not one of the contract's topics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown topic {0:?}; expected \"inbox:<user_id>\" or \"ride:<ride_id>\"")]
pub struct TopicError(pub String);

impl Topic {
    pub fn parse(text: &str) -> Result<Self, TopicError> {
        let (prefix, id) = text
            .split_once(':')
            .ok_or_else(|| TopicError(text.to_owned()))?;
        let valid_id = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        match prefix {
            "inbox" if valid_id => Ok(Self::Inbox(id.to_owned())),
            "ride" if valid_id => Ok(Self::Ride(id.to_owned())),
            _ => Err(TopicError(text.to_owned())),
        }
    }

    pub fn ride(ride_id: &str) -> Self {
        Self::Ride(ride_id.to_owned())
    }

    pub fn inbox(user_id: &str) -> Self {
        Self::Inbox(user_id.to_owned())
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inbox(user_id) => write!(f, "inbox:{user_id}"),
            Self::Ride(ride_id) => write!(f, "ride:{ride_id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_both_kinds() {
        assert_eq!(Topic::parse("ride:42"), Ok(Topic::ride("42")));
        assert_eq!(Topic::parse("inbox:r1"), Ok(Topic::inbox("r1")));
        assert_eq!(Topic::ride("42").to_string(), "ride:42");
    }

    #[test]
    fn rejects_unknown_prefix_and_empty_id() {
        assert!(Topic::parse("room:1").is_err());
        assert!(Topic::parse("ride:").is_err());
        assert!(Topic::parse("phoenix").is_err());
    }
}
