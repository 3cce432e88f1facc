/// Why a store operation failed. Every variant reaches the user as a banner
/// that says what to do next, never as a silent loss.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The browser refused to store more data for this site.
    #[error(
        "storage quota exceeded; free space on this device or delete old conversations, \
         new messages are kept in memory until then"
    )]
    QuotaExceeded,
    /// No persistent storage can be opened, for example in a private window or
    /// when another tab blocks the database upgrade.
    #[error(
        "local storage is unavailable (private mode, or another tab is blocking the upgrade); \
         messages are kept in memory and lost when this page closes"
    )]
    Unavailable,
    /// A stored record could not be read back.
    #[error("stored {record} is corrupt: {message}; clear this site's data to start afresh")]
    Corrupt { record: String, message: String },
    /// Any other error of the storage backend, with the backend's own name for
    /// it (a `DOMException` name in the browser).
    #[error("storage failed with {name}: {message}")]
    Backend { name: String, message: String },
}
