use thiserror::Error;

/// What can go wrong selling.
#[derive(Debug, Error)]
pub enum SalesError {
    #[error("the event database failed: {0}")]
    Db(#[from] sqlx::Error),
    #[error("no item {0} in the catalogue")]
    UnknownItem(String),
    #[error("{name} is sold out ({left} left, {wanted} wanted)")]
    SoldOut {
        name: String,
        left: i64,
        wanted: i64,
    },
    #[error(
        "{name} is shared between the festival's booths and this booth has no units of it \
         yet: give it a quota (popbooth sales quota)"
    )]
    NoQuota { name: String },
    #[error("coupon {code} {reason}")]
    Coupon { code: String, reason: &'static str },
    #[error("the festival's shared database: {0}")]
    Shared(String),
    #[error("the sale was not saved: {0}")]
    Commit(String),
    #[error("the sale is not valid: {0}")]
    Invalid(String),
    #[error("a stored record is damaged: {0}")]
    Corrupt(String),
}
