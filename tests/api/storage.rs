//! Storage contract tests.
