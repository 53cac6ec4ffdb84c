//! Simulated nodes (not written yet).
