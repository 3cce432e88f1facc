//! Messages: insertion with per-ride `seq`, and paging.

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use ridechat_core::chat::{Message, MessageKind};

use super::StoreError;

const COLUMNS: &str = "seq, id, client_id, sender_id, kind, body, voice, inserted_at";

/// A text message to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewText<'a> {
    pub ride_id: &'a str,
    pub sender_id: &'a str,
    pub client_id: &'a str,
    pub body: &'a str,
}

/// One page of messages, ascending by seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub messages: Vec<Message>,
    /// True when more messages remain beyond this page in the direction read.
    pub more: bool,
}

/// Stores a text message with the ride's next seq, in one transaction.
///
/// The caller checks first that (sender, client_id) is new
/// ([`by_client_id`]); the unique index rejects a duplicate regardless.
pub fn insert_text(
    connection: &mut Connection,
    message: &NewText<'_>,
    now: OffsetDateTime,
) -> Result<Message, StoreError> {
    let transaction = connection.transaction()?;
    let seq: i64 = transaction.query_row(
        "UPDATE rides SET last_seq = last_seq + 1 WHERE id = ?1 RETURNING last_seq",
        params![message.ride_id],
        |row| row.get(0),
    )?;

    let stored = Message {
        seq: to_seq(seq)?,
        id: uuid::Uuid::now_v7().to_string(),
        client_id: message.client_id.to_owned(),
        sender_id: message.sender_id.to_owned(),
        kind: MessageKind::Text,
        body: Some(message.body.to_owned()),
        voice: None,
        inserted_at: format_time(now)?,
    };
    transaction.execute(
        "INSERT INTO messages (id, ride_id, seq, client_id, sender_id, kind, body, inserted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'text', ?6, ?7)",
        params![
            stored.id,
            message.ride_id,
            seq,
            stored.client_id,
            stored.sender_id,
            stored.body,
            stored.inserted_at
        ],
    )?;
    transaction.commit()?;
    Ok(stored)
}

/// Finds the message `sender_id` stored with `client_id`, with its ride id.
pub fn by_client_id(
    connection: &Connection,
    sender_id: &str,
    client_id: &str,
) -> Result<Option<(String, Message)>, StoreError> {
    let sql =
        format!("SELECT ride_id, {COLUMNS} FROM messages WHERE sender_id = ?1 AND client_id = ?2");
    let row = connection
        .query_row(&sql, params![sender_id, client_id], |row| {
            Ok((row.get::<_, String>(0)?, read_row(row, 1)?))
        })
        .optional()?;
    row.map(|(ride_id, raw)| Ok((ride_id, raw.into_message()?)))
        .transpose()
}

/// Reads the message with `seq` in a ride.
pub fn by_seq(
    connection: &Connection,
    ride_id: &str,
    seq: u64,
) -> Result<Option<Message>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE ride_id = ?1 AND seq = ?2");
    let raw = connection
        .query_row(&sql, params![ride_id, to_sql(seq)], |row| read_row(row, 0))
        .optional()?;
    raw.map(RawMessage::into_message).transpose()
}

/// Reads the newest `limit` messages with seq above `after_seq`. `more` is
/// true when older ones above `after_seq` remain.
pub fn newest_after(
    connection: &Connection,
    ride_id: &str,
    after_seq: u64,
    limit: usize,
) -> Result<Page, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE ride_id = ?1 AND seq > ?2 ORDER BY seq DESC LIMIT ?3"
    );
    let mut page = query_page(connection, &sql, ride_id, after_seq, limit)?;
    page.messages.reverse();
    Ok(page)
}

/// Reads the `limit` messages just below `before_seq`. `more` is true when
/// older ones remain.
pub fn before(
    connection: &Connection,
    ride_id: &str,
    before_seq: u64,
    limit: usize,
) -> Result<Page, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE ride_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
    );
    let mut page = query_page(connection, &sql, ride_id, before_seq, limit)?;
    page.messages.reverse();
    Ok(page)
}

/// Reads the `limit` messages just above `after_seq`. `more` is true when
/// newer ones remain.
pub fn after(
    connection: &Connection,
    ride_id: &str,
    after_seq: u64,
    limit: usize,
) -> Result<Page, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE ride_id = ?1 AND seq > ?2 ORDER BY seq ASC LIMIT ?3"
    );
    query_page(connection, &sql, ride_id, after_seq, limit)
}

/// Counts the messages above `after_seq` that `user_id` did not send.
pub fn count_from_others_after(
    connection: &Connection,
    ride_id: &str,
    user_id: &str,
    after_seq: u64,
) -> Result<u64, StoreError> {
    let count: i64 = connection.query_row(
        "SELECT COUNT(*) FROM messages WHERE ride_id = ?1 AND seq > ?2 AND sender_id != ?3",
        params![ride_id, to_sql(after_seq), user_id],
        |row| row.get(0),
    )?;
    to_seq(count)
}

/// Reads one more row than `limit` to learn whether more remain.
fn query_page(
    connection: &Connection,
    sql: &str,
    ride_id: &str,
    seq: u64,
    limit: usize,
) -> Result<Page, StoreError> {
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
    let mut statement = connection.prepare(sql)?;
    let mut messages = statement
        .query_map(params![ride_id, to_sql(seq), fetch], |row| read_row(row, 0))?
        .map(|raw| raw.map_err(StoreError::from)?.into_message())
        .collect::<Result<Vec<_>, _>>()?;
    let more = messages.len() > limit;
    messages.truncate(limit);
    Ok(Page { messages, more })
}

struct RawMessage {
    seq: i64,
    id: String,
    client_id: String,
    sender_id: String,
    kind: String,
    body: Option<String>,
    voice: Option<String>,
    inserted_at: String,
}

fn read_row(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<RawMessage> {
    Ok(RawMessage {
        seq: row.get(first)?,
        id: row.get(first + 1)?,
        client_id: row.get(first + 2)?,
        sender_id: row.get(first + 3)?,
        kind: row.get(first + 4)?,
        body: row.get(first + 5)?,
        voice: row.get(first + 6)?,
        inserted_at: row.get(first + 7)?,
    })
}

impl RawMessage {
    fn into_message(self) -> Result<Message, StoreError> {
        let kind = match self.kind.as_str() {
            "text" => MessageKind::Text,
            "voice" => MessageKind::Voice,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "message {} has kind {other:?}",
                    self.id
                )));
            }
        };
        let voice = self
            .voice
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|err| StoreError::Corrupt(format!("message {} voice: {err}", self.id)))?;
        Ok(Message {
            seq: to_seq(self.seq)?,
            id: self.id,
            client_id: self.client_id,
            sender_id: self.sender_id,
            kind,
            body: self.body,
            voice,
            inserted_at: self.inserted_at,
        })
    }
}

fn to_seq(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative seq or count {value}")))
}

/// SQLite integers are signed; seqs past `i64::MAX` never occur, so clamp.
pub(crate) fn to_sql(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn format_time(time: OffsetDateTime) -> Result<String, StoreError> {
    let utc = time.to_offset(time::UtcOffset::UTC);
    let millis = utc
        .replace_nanosecond(utc.millisecond() as u32 * 1_000_000)
        .unwrap_or(utc);
    millis
        .format(&Rfc3339)
        .map_err(|err| StoreError::Corrupt(format!("cannot format time {time}: {err}")))
}
