//! Nothing here: the crate exists for its tests (see Cargo.toml).
