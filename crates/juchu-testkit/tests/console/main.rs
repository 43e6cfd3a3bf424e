//! The operator console, driven as an operator would: headless Chromium through chromedriver
//! against the real server on port 0 (SQLite: the console calls the same App as the API, whose
//! conformance suite runs on both backends), and plain HTTP where a browser is overkill.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bulk;
mod bulk_refused;
mod login;
mod master;
mod order_detail;
mod order_shipping;
mod orders_list;
