//! The conformance suite: the public API over real HTTP, each test on its own fresh database, every
//! test on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounting;
mod allocation;
mod authz;
mod bank;
mod bulk_support;
mod cancel;
mod carriers;
mod combine;
mod concurrency;
mod console_authz;
mod delivery;
mod demo;
mod errors;
mod flow;
mod japanpost;
mod jobs;
mod limits;
mod mail;
mod modify;
mod modify_review;
mod order_list;
mod partial_shipment;
mod payment_reliability;
mod points;
mod provider_payments;
mod purchasing;
mod queries;
mod receipt_race;
mod recognition;
mod returns;
mod review;
mod security;
mod split;
