//! trangtin: a state agency's website in one binary — the public site, the admin
//! pages, the editorial workflow and every byte of state in one data folder.
//!
//! Dependencies point one way: `http`, `ops` and `cli` → `app` → domain (`content`,
//! `workflow`, `auth`, `site`, `citizen`, `integrity`, `backup`, …) → `store`, with the
//! leaf helpers `format`, `files`, `random`, `sharded` and `calendar` usable from any
//! layer. The domain names no HTTP type and never reads the wall clock (time comes from
//! the caller's `Clock`); the store names no domain type (each domain module declares
//! its own tables; `store::registry` knows only their names and shapes).

// Input must never reach a panic: outside tests, unwrap and expect are refused.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod audit;
pub mod auth;
pub mod background;
pub mod backup;
pub mod calendar;
pub mod citizen;
pub mod cli;
pub mod config;
pub mod content;
pub mod demo;
pub mod document_text;
pub mod files;
pub mod format;
pub mod http;
pub mod import;
pub mod inbox;
pub mod integrity;
pub mod logs;
pub mod mail;
pub mod media;
pub mod ops;
pub mod paths;
pub mod random;
pub mod redirects;
pub mod render;
pub mod search;
pub mod sharded;
pub mod site;
pub mod stats;
pub mod store;
pub mod workflow;
