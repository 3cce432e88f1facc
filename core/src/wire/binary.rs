//! Binary frames of the 2.0.0 serializer.
//!
//! Each variable field is preceded in the header by one length byte, so a
//! field holds at most 255 bytes. The layouts, by kind byte:
//!
//! | kind | direction | layout |
//! |---|---|---|
//! | 0 push | client to server | `0, len(jr), len(ref), len(topic), len(event), jr, ref, topic, event, data` |
//! | 0 push | server to client | `0, len(jr), len(topic), len(event), jr, topic, event, data` |
//! | 1 reply | server to client | `1, len(jr), len(ref), len(topic), len(status), jr, ref, topic, status, data` |
//! | 2 broadcast | server to client | `2, len(topic), len(event), topic, event, data` |
//!
//! The client push and the server push share kind 0 but differ in layout, so
//! decoding needs to know the direction: [`decode_from_client`] on the server,
//! [`decode_from_server`] in the client.

use super::{DecodeError, EncodeError, Frame, Payload, events};

const PUSH: u8 = 0;
const REPLY: u8 = 1;
const BROADCAST: u8 = 2;

/// Encodes a client push whose payload is [`Payload::Binary`].
pub fn encode_client_push(frame: &Frame) -> Result<Vec<u8>, EncodeError> {
    let Payload::Binary(data) = &frame.payload else {
        return Err(EncodeError::NotBinary("push"));
    };
    let join_ref = frame.join_ref.as_deref().unwrap_or("");
    let msg_ref = frame.msg_ref.as_deref().unwrap_or("");
    let fields = [
        ("join_ref", join_ref),
        ("ref", msg_ref),
        ("topic", frame.topic.as_str()),
        ("event", frame.event.as_str()),
    ];
    build(PUSH, &fields, data)
}

/// Encodes a frame sent by the server: a reply ([`Payload::BinaryReply`]), a
/// push to one channel (`join_ref` set) or a broadcast (no `join_ref`).
pub fn encode_from_server(frame: &Frame) -> Result<Vec<u8>, EncodeError> {
    let topic = frame.topic.as_str();
    match &frame.payload {
        Payload::BinaryReply { status, data } => {
            let msg_ref = frame.msg_ref.as_deref().ok_or(EncodeError::MissingRef)?;
            let join_ref = frame.join_ref.as_deref().unwrap_or("");
            let fields = [
                ("join_ref", join_ref),
                ("ref", msg_ref),
                ("topic", topic),
                ("status", status.as_str()),
            ];
            build(REPLY, &fields, data)
        }
        Payload::Binary(data) => match frame.join_ref.as_deref() {
            Some(join_ref) => {
                let fields = [
                    ("join_ref", join_ref),
                    ("topic", topic),
                    ("event", frame.event.as_str()),
                ];
                build(PUSH, &fields, data)
            }
            None => build(
                BROADCAST,
                &[("topic", topic), ("event", frame.event.as_str())],
                data,
            ),
        },
        Payload::Json(_) => Err(EncodeError::NotBinary("server frame")),
    }
}

/// Decodes a binary frame sent by a client (the server's side).
pub fn decode_from_client(bytes: &[u8]) -> Result<Frame, DecodeError> {
    let mut reader = Reader::new(bytes)?;
    match reader.kind {
        PUSH => {
            let [join_ref, msg_ref, topic, event] =
                reader.fields(["join_ref", "ref", "topic", "event"])?;
            Ok(Frame {
                join_ref: non_empty(join_ref),
                msg_ref: non_empty(msg_ref),
                topic,
                event,
                payload: Payload::Binary(reader.rest()),
            })
        }
        other => Err(DecodeError::UnknownKind(other)),
    }
}

/// Decodes a binary frame sent by the server (the client's side).
pub fn decode_from_server(bytes: &[u8]) -> Result<Frame, DecodeError> {
    let mut reader = Reader::new(bytes)?;
    match reader.kind {
        PUSH => {
            let [join_ref, topic, event] = reader.fields(["join_ref", "topic", "event"])?;
            Ok(Frame {
                join_ref: non_empty(join_ref),
                msg_ref: None,
                topic,
                event,
                payload: Payload::Binary(reader.rest()),
            })
        }
        REPLY => {
            let [join_ref, msg_ref, topic, status] =
                reader.fields(["join_ref", "ref", "topic", "status"])?;
            Ok(Frame {
                join_ref: non_empty(join_ref),
                msg_ref: non_empty(msg_ref),
                topic,
                event: events::REPLY.to_owned(),
                payload: Payload::BinaryReply {
                    status,
                    data: reader.rest(),
                },
            })
        }
        BROADCAST => {
            let [topic, event] = reader.fields(["topic", "event"])?;
            Ok(Frame {
                join_ref: None,
                msg_ref: None,
                topic,
                event,
                payload: Payload::Binary(reader.rest()),
            })
        }
        other => Err(DecodeError::UnknownKind(other)),
    }
}

fn build(kind: u8, fields: &[(&'static str, &str)], data: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(1 + fields.len() + data.len() + 64);
    out.push(kind);
    for (field, value) in fields {
        let len = u8::try_from(value.len()).map_err(|_| EncodeError::FieldTooLong {
            field,
            len: value.len(),
        })?;
        out.push(len);
    }
    for (_, value) in fields {
        out.extend_from_slice(value.as_bytes());
    }
    out.extend_from_slice(data);
    Ok(out)
}

fn non_empty(text: String) -> Option<String> {
    if text.is_empty() { None } else { Some(text) }
}

/// Walks a binary frame: the kind byte, the length bytes, then the fields.
struct Reader<'a> {
    kind: u8,
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let kind = *bytes.first().ok_or(DecodeError::Empty)?;
        Ok(Self {
            kind,
            bytes,
            position: 1,
        })
    }

    fn fields<const N: usize>(
        &mut self,
        names: [&'static str; N],
    ) -> Result<[String; N], DecodeError> {
        let header_end = self.position + N;
        if self.bytes.len() < header_end {
            return Err(DecodeError::Truncated {
                expected: header_end,
                actual: self.bytes.len(),
            });
        }
        let lengths: Vec<usize> = self.bytes[self.position..header_end]
            .iter()
            .map(|&len| usize::from(len))
            .collect();
        let expected = header_end + lengths.iter().sum::<usize>();
        if self.bytes.len() < expected {
            return Err(DecodeError::Truncated {
                expected,
                actual: self.bytes.len(),
            });
        }

        self.position = header_end;
        let mut out: [String; N] = std::array::from_fn(|_| String::new());
        for (index, name) in names.iter().enumerate() {
            let end = self.position + lengths[index];
            let text = std::str::from_utf8(&self.bytes[self.position..end])
                .map_err(|_| DecodeError::Utf8(name))?;
            out[index] = text.to_owned();
            self.position = end;
        }
        Ok(out)
    }

    fn rest(&self) -> Vec<u8> {
        self.bytes[self.position..].to_vec()
    }
}
