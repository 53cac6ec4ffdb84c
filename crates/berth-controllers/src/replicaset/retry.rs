//! Per-object retry backoff for reconcilers: each failure of the same object doubles its wait
//! (from 100 ms up to a minute); a success forgets it. A broken object is retried slowly
//! instead of in a hot loop, and a healthy one is not slowed by another's failures. The
//! deployment controller and the garbage collector use it too.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

const FIRST: Duration = Duration::from_millis(100);
const MAX: Duration = Duration::from_secs(60);

/// Failure counts by object key.
#[derive(Debug, Default)]
pub(crate) struct Retries {
    failures: Mutex<HashMap<String, u32>>,
}

impl Retries {
    /// Records another failure of `key` and returns how long to wait before the next try.
    pub(crate) fn failed(&self, key: &str) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = failures.entry(key.to_owned()).or_default();
        *count = count.saturating_add(1);
        delay(*count)
    }

    /// `key` reconciled fine: its next failure starts from the shortest wait again.
    pub(crate) fn succeeded(&self, key: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.remove(key);
    }
}

/// The wait after the `failures`-th failure in a row.
fn delay(failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
    FIRST.saturating_mul(factor).min(MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_a_minute_and_reset_on_success() {
        let retries = Retries::default();
        let waits: Vec<u128> = (0..4).map(|_| retries.failed("a").as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800]);
        assert_eq!(retries.failed("b"), FIRST);
        for _ in 0..30 {
            retries.failed("a");
        }
        assert_eq!(retries.failed("a"), MAX);
        retries.succeeded("a");
        assert_eq!(retries.failed("a"), FIRST);
    }
}
