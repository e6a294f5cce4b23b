//! Admin API, health and identity tests.
