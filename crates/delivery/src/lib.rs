//! Delivery: getting what was sold to the buyer.
//!
//! Owns the durable job queue in the event database (`queue`: prints, emails, thank-you
//! messages and publishing, with leases, heartbeats, backoff, priorities and the operator's
//! pause, retry, cancel and reorder), and the links of digital goods on the venue network
//! with their QR codes (`links`). Still to come (the delivery issue): printing over IPP and
//! CUPS, email, and the share server that serves the links. Until then `popbooth doctor`
//! reports no printers.

mod error;
mod links;
mod queue;

pub use error::DeliveryError;
pub use links::{SHARE_PORT, lan_address, order_url, qr_svg};
pub use queue::{Job, JobKind, JobState, NewJob, Queue, backoff};
