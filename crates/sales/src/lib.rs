//! Sales: the offline-first point of sale and order log of an event.
//!
//! This crate will own the catalogue (prints, downloads, bundles, RSVP tiers, passes, limited
//! drops), carts, orders as append-only events, payments, refunds, customers with consent,
//! the KPIs and the outbox that syncs booths through PostgreSQL. It stores everything in the
//! event database through `popbooth-store`. Nothing is implemented yet: the sales issue
//! builds it on the foundation.
