//! Test support for the core and the crates above it (cargo feature `testing`): an in-memory
//! store with the semantics of the diesel one, so that rules can be tested without a database.

pub mod memory;

use std::sync::Arc;

pub use memory::MemoryStore;

use crate::Gateway;

/// A gateway on a fresh, empty in-memory store, and that store.
pub fn memory_gateway() -> (Arc<MemoryStore>, Gateway) {
    let store = Arc::new(MemoryStore::default());
    let gateway = Gateway::new(store.clone());
    (store, gateway)
}
