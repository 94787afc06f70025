//! Delivery: getting what was sold to the buyer.
//!
//! This crate will own the durable job queue (kept in the event database), printing over IPP
//! and CUPS, digital goods (expiring links, QR codes, email) and the share server that phones
//! reach over the venue Wi-Fi. Nothing is implemented yet: the delivery issue builds it on
//! the foundation. Until then `popbooth doctor` reports no printers.
