//! End-to-end tests of the snake dialect (being written).
