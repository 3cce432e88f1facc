//! What the chaos test compares: the messages each side stored, read from
//! the server's SQLite file and from a tab's IndexedDB, against the list of
//! bodies each user sent to each room, in send order.
//!
//! A stored copy passes when, per room and sender, its bodies in seq order
//! equal the sent list exactly: that one comparison finds a lost message, a
//! duplicate and a reordering. Statuses are checked on the sender's own
//! copies only, because a received copy stays `sent` by design: `delivered`
//! and `read` describe what the peer did with one's own message.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{HarnessError, Result};
use crate::page::Page;

/// Bodies sent, per room topic and sender id, in send order.
pub type Sent = BTreeMap<(String, String), Vec<String>>;

/// One stored message.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Stored {
    pub topic: String,
    pub seq: Option<u64>,
    pub sender_id: String,
    pub body: Option<String>,
    /// The status in a tab's store; `None` on the server.
    pub status: Option<String>,
}

/// A tab's stored messages and the length of its outbox.
#[derive(Clone, Debug, Deserialize)]
pub struct DeviceStore {
    pub messages: Vec<Stored>,
    pub outbox: u64,
}

/// Reads the tab's IndexedDB (`ridechat-<user>`) through the page, one
/// read-only transaction over `messages` and `outbox`.
const READ_STORE_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
const request = indexedDB.open(arguments[0]);
request.onerror = () => done({ error: String(request.error) });
request.onsuccess = () => {
  const db = request.result;
  try {
    const tx = db.transaction(['messages', 'outbox'], 'readonly');
    const all = tx.objectStore('messages').getAll();
    const outbox = tx.objectStore('outbox').count();
    tx.oncomplete = () => {
      db.close();
      done({ messages: all.result.map(record => ({
        topic: record.message.topic,
        seq: record.message.seq ?? null,
        sender_id: record.message.sender_id,
        body: record.message.body ?? null,
        status: record.message.status ? record.message.status.status : null,
      })), outbox: outbox.result });
    };
    tx.onerror = () => { db.close(); done({ error: String(tx.error) }); };
  } catch (error) {
    db.close();
    done({ error: String(error) });
  }
};
"#;

/// Fills the composer with each body and presses send, in order, through
/// the same form submit the user triggers. Returns `null`, or why it could
/// not send.
const SEND_SCRIPT: &str = r#"
const [topic, bodies] = arguments;
const room = document.querySelector('[data-testid=room]');
const open = room ? room.getAttribute('data-topic') : null;
if (open !== topic) return `room ${open} is open, not ${topic}`;
for (const body of bodies) {
  const input = document.querySelector('[data-testid=composer-input]');
  const button = document.querySelector('[data-testid=composer-send]');
  if (!input || !button) return 'the composer is not on screen';
  if (button.disabled) return 'the send button is disabled';
  input.value = body;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  button.click();
}
return null;
"#;

/// Reads every message of the server's database, in room and seq order.
pub fn read_server(db: &Path) -> Result<Vec<Stored>> {
    let failed = |error: rusqlite::Error| {
        HarnessError::PageState(format!("reading messages from {}: {error}", db.display()))
    };
    let connection =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(failed)?;
    let mut statement = connection
        .prepare("SELECT ride_id, seq, sender_id, body FROM messages ORDER BY ride_id, seq")
        .map_err(failed)?;
    let rows = statement
        .query_map([], |row| {
            Ok(Stored {
                topic: format!("ride:{}", row.get::<_, String>(0)?),
                seq: Some(row.get(1)?),
                sender_id: row.get(2)?,
                body: row.get(3)?,
                status: None,
            })
        })
        .map_err(failed)?;
    rows.collect::<std::result::Result<_, _>>().map_err(failed)
}

/// Reads the tab's IndexedDB through the page.
pub async fn read_device(page: &Page) -> Result<DeviceStore> {
    let database = format!("ridechat-{}", page.user);
    let returned = page
        .driver()?
        .execute_async(READ_STORE_SCRIPT, vec![serde_json::Value::String(database)])
        .await
        .map_err(HarnessError::webdriver(format!(
            "reading {}'s IndexedDB",
            page.user
        )))?;
    let value = returned.json().clone();
    if let Some(error) = value.get("error") {
        return Err(HarnessError::PageState(format!(
            "{}'s IndexedDB: {error}",
            page.user
        )));
    }
    serde_json::from_value(value)
        .map_err(|error| HarnessError::PageState(format!("{}'s IndexedDB: {error}", page.user)))
}

/// Sends `bodies` to the open room `topic` through the composer.
pub async fn send_through_composer(page: &Page, topic: &str, bodies: &[String]) -> Result<()> {
    let args = vec![serde_json::json!(topic), serde_json::json!(bodies)];
    let returned =
        page.driver()?
            .execute(SEND_SCRIPT, args)
            .await
            .map_err(HarnessError::webdriver(format!(
                "sending on {}'s page",
                page.user
            )))?;
    match returned.json() {
        serde_json::Value::Null => Ok(()),
        reason => Err(HarnessError::PageState(format!(
            "cannot send {} messages to {topic} on {}'s page: {reason}",
            bodies.len(),
            page.user
        ))),
    }
}

/// Compares stored messages with what was sent and returns every
/// difference, empty when the copy is exact. `owner` names the device whose
/// own messages must be `delivered` or `read`; `None` for the server.
pub fn differences(
    place: &str,
    stored: &[Stored],
    sent: &Sent,
    owner: Option<&str>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut by_room: BTreeMap<(String, String), Vec<&Stored>> = BTreeMap::new();
    for message in stored {
        by_room
            .entry((message.topic.clone(), message.sender_id.clone()))
            .or_default()
            .push(message);
    }
    for ((topic, sender), messages) in &mut by_room {
        if messages.iter().any(|message| message.seq.is_none()) {
            problems.push(format!(
                "{place}: {topic} from {sender} has messages without a seq"
            ));
        }
        // Unconfirmed copies (no seq) go last, in no particular order.
        messages.sort_by_key(|message| (message.seq.is_none(), message.seq));
        let bodies: Vec<String> = messages
            .iter()
            .map(|message| message.body.clone().unwrap_or_default())
            .collect();
        let expected = sent
            .get(&(topic.clone(), sender.clone()))
            .cloned()
            .unwrap_or_default();
        if bodies != expected {
            problems.push(describe_mismatch(place, topic, sender, &bodies, &expected));
        }
        if owner == Some(sender.as_str()) {
            for message in messages.iter() {
                let status = message.status.as_deref().unwrap_or("none");
                if !matches!(status, "delivered" | "read") {
                    problems.push(format!(
                        "{place}: {topic} seq {:?} `{}` ended {status}, not delivered or read",
                        message.seq,
                        message.body.as_deref().unwrap_or("")
                    ));
                }
            }
        }
    }
    for ((topic, sender), expected) in sent {
        if !by_room.contains_key(&(topic.clone(), sender.clone())) && !expected.is_empty() {
            problems.push(format!(
                "{place}: none of the {} messages from {sender} to {topic}",
                expected.len()
            ));
        }
    }
    problems
}

/// Names the first position where the stored bodies leave the sent list.
fn describe_mismatch(
    place: &str,
    topic: &str,
    sender: &str,
    bodies: &[String],
    expected: &[String],
) -> String {
    let first = bodies
        .iter()
        .zip(expected)
        .position(|(stored, sent)| stored != sent)
        .unwrap_or(bodies.len().min(expected.len()));
    format!(
        "{place}: {topic} from {sender} contains {} messages, {} were sent; first difference at \
         position {first}: stored {:?}, sent {:?}",
        bodies.len(),
        expected.len(),
        bodies.get(first),
        expected.get(first)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(seq: u64, sender: &str, body: &str, status: &str) -> Stored {
        Stored {
            topic: "ride:1".into(),
            seq: Some(seq),
            sender_id: sender.into(),
            body: Some(body.into()),
            status: Some(status.into()),
        }
    }

    fn sent(bodies: &[&str]) -> Sent {
        let mut sent = Sent::new();
        sent.insert(
            ("ride:1".into(), "r1".into()),
            bodies.iter().map(|body| body.to_string()).collect(),
        );
        sent
    }

    #[test]
    fn exact_copy_passes() {
        let copy = [
            stored(2, "r1", "b", "read"),
            stored(1, "r1", "a", "delivered"),
        ];
        assert!(differences("tab", &copy, &sent(&["a", "b"]), Some("r1")).is_empty());
    }

    #[test]
    fn duplicate_is_found() {
        let copy = [stored(1, "r1", "a", "read"), stored(2, "r1", "a", "read")];
        let problems = differences("tab", &copy, &sent(&["a"]), None);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("contains 2 messages, 1 were sent"),
            "{problems:?}"
        );
    }

    #[test]
    fn reordering_is_found() {
        let copy = [stored(1, "r1", "b", "read"), stored(2, "r1", "a", "read")];
        let problems = differences("server", &copy, &sent(&["a", "b"]), None);
        assert!(problems[0].contains("position 0"), "{problems:?}");
    }

    #[test]
    fn missing_room_is_found() {
        let problems = differences("server", &[], &sent(&["a"]), None);
        assert_eq!(
            problems,
            vec!["server: none of the 1 messages from r1 to ride:1"]
        );
    }

    #[test]
    fn own_message_still_sent_is_found() {
        let copy = [stored(1, "r1", "a", "sent")];
        let problems = differences("tab", &copy, &sent(&["a"]), Some("r1"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("ended sent"), "{problems:?}");
    }
}
