//! End-to-end tests of the tiered dialect (being written).
