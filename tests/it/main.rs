//! The one integration test binary: a real server, real HTTPS, a temporary data folder.

mod accessibility;
mod acme;
mod admin;
mod backup;
mod bad_input;
mod browser;
mod citizen;
mod cli;
mod consultation;
mod deadlines;
mod discovery;
mod documents;
mod english;
mod install;
mod integrity;
mod lifecycle;
mod look;
mod ops;
mod questions;
mod second_factor;
mod security;
mod sessions;
mod site;
mod support;
mod transport;
mod visits;
