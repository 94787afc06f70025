use thiserror::Error;

/// What can go wrong delivering.
#[derive(Debug, Error)]
pub enum DeliveryError {
    #[error("the event database failed: {0}")]
    Db(#[from] sqlx::Error),
    #[error("not valid: {0}")]
    Invalid(String),
    #[error("a stored record is damaged: {0}")]
    Corrupt(String),
}
