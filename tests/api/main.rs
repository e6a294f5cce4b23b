//! The end-to-end test binary: one binary (one link) with a module per area.

#![expect(
    clippy::unwrap_used,
    reason = "integration tests assert by unwrapping: a panic with its location is the failure report"
)]

mod admin;
mod camel;
mod clients;
mod demo;
mod device;
mod device_clis;
mod emulator;
mod export;
mod kit;
mod kit_dialect;
mod pascal;
mod reliability;
mod snake;
mod storage;
mod tiered;
mod verify;
