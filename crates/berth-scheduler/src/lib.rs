//! The scheduler (not written yet).
