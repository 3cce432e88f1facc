//! Client ids (UUID version 7) and random seeds.
//!
//! A UUID v7 starts with the Unix time in milliseconds, so ids sort by
//! creation time, and carries 74 random bits, so two devices never pick the
//! same one in practice (RFC 9562, section 5.7).

/// Fills `bytes` from `crypto.getRandomValues`, or from `Math.random` where
/// the Web Crypto API is missing.
fn fill_random(bytes: &mut [u8]) {
    let crypto = web_sys::window().and_then(|window| window.crypto().ok());
    if let Some(crypto) = crypto
        && crypto.get_random_values_with_u8_array(bytes).is_ok()
    {
        return;
    }
    for byte in bytes.iter_mut() {
        // Math.random() is in [0, 1), so the product is below 256.
        *byte = (js_sys::Math::random() * 256.0) as u8;
    }
}

/// Returns a new UUID v7 for a message, such as
/// `0190f3c2-7b1e-7cc0-9a55-3f1d2a6b9e01`.
pub fn new_client_id() -> String {
    let mut random = [0u8; 10];
    fill_random(&mut random);
    uuid_v7(js_sys::Date::now() as u64, random)
}

/// Builds a UUID v7 from a Unix time in milliseconds and 10 random bytes.
pub fn uuid_v7(unix_ms: u64, random: [u8; 10]) -> String {
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&unix_ms.to_be_bytes()[2..]);
    bytes[6..].copy_from_slice(&random);
    // Version 7 in the high nibble of byte 6, variant 0b10 in the top bits of byte 8.
    bytes[6] = 0x70 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);

    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Returns a random seed for the session's backoff jitter.
pub fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    fill_random(&mut bytes);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridechat_core::chat::ClientId;

    #[test]
    fn uuid_v7_layout() {
        let id = uuid_v7(0x0190_f3c2_7b1e, [0xff; 10]);
        assert_eq!(id, "0190f3c2-7b1e-7fff-bfff-ffffffffffff");
    }

    #[test]
    fn uuid_v7_is_a_valid_client_id() {
        let id = uuid_v7(1_700_000_000_000, [0x12; 10]);
        assert!(
            ClientId::parse(&id).is_ok(),
            "{id} must be a valid client_id"
        );
        assert_eq!(id.len(), 36);
    }
}
