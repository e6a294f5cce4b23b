//! The end-to-end test binary: one binary (one link) with a module per area.

mod admin;
mod camel;
mod pascal;
mod snake;
mod storage;
mod tiered;
