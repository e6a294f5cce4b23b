//! End-to-end tests of the pascal dialect (being written).
