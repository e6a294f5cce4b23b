//! End-to-end tests of the camel dialect (being written).
