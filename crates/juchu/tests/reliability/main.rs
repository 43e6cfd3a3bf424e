//! Reliability under crashes and several nodes (issue 9 parts 1 and 2; docs/reliability.md): the
//! real `juchu` binary as child processes, the provider sandbox and an SMTP sink around them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod checks;
mod client;
mod crash;
mod load;
mod lost_answer;
mod multi_node;
mod shop;
