//! Receipt watermarks per ride and user.

use rusqlite::{Connection, params};

use ridechat_core::chat::{Receipt, Receipts};

use super::StoreError;
use super::messages::to_sql;

/// Reads every member's receipt in a ride.
pub fn of_ride(connection: &Connection, ride_id: &str) -> Result<Receipts, StoreError> {
    let mut statement = connection
        .prepare("SELECT user_id, delivered_seq, read_seq FROM receipts WHERE ride_id = ?1")?;
    let rows = statement
        .query_map(params![ride_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;

    let mut receipts = Receipts::new();
    for (user_id, delivered, read) in rows {
        let receipt = Receipt {
            delivered_seq: non_negative(delivered)?,
            read_seq: non_negative(read)?,
        };
        receipts.insert(user_id, receipt);
    }
    Ok(receipts)
}

/// Reads one member's receipt; a member who sent none has zeros.
pub fn of_user(
    connection: &Connection,
    ride_id: &str,
    user_id: &str,
) -> Result<Receipt, StoreError> {
    Ok(of_ride(connection, ride_id)?
        .remove(user_id)
        .unwrap_or_default())
}

/// Writes one member's receipt.
pub fn save(
    connection: &Connection,
    ride_id: &str,
    user_id: &str,
    receipt: Receipt,
) -> Result<(), StoreError> {
    connection.execute(
        "INSERT INTO receipts (ride_id, user_id, delivered_seq, read_seq) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (ride_id, user_id)
         DO UPDATE SET delivered_seq = excluded.delivered_seq, read_seq = excluded.read_seq",
        params![
            ride_id,
            user_id,
            to_sql(receipt.delivered_seq),
            to_sql(receipt.read_seq)
        ],
    )?;
    Ok(())
}

fn non_negative(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative receipt seq {value}")))
}
