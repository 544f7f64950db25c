//! Platform tests (being written).
