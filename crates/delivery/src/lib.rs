//! Delivery: getting what was sold to the buyer.
//!
//! Owns the links of digital goods on the venue network and their QR codes (`links`). Still
//! to come (the delivery issue): the durable job queue, printing over IPP and CUPS, email, and
//! the share server that serves the links. Until then `popbooth doctor` reports no printers.

mod links;

pub use links::{SHARE_PORT, lan_address, order_url, qr_svg};
