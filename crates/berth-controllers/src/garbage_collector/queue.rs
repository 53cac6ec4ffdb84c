//! The collector's work queue: uids to look at, each at most once in the queue and never
//! handled by two workers at a time (one pushed while being handled is handled again after).

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use tokio::sync::Notify;

#[derive(Debug, Default)]
pub struct Queue {
    state: Mutex<State>,
    ready: Notify,
}

#[derive(Debug, Default)]
struct State {
    pending: VecDeque<String>,
    queued: HashSet<String>,
    active: HashSet<String>,
    again: HashSet<String>,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `uid` unless it is queued already (or marks it for another pass if it is being
    /// handled).
    pub fn push(&self, uid: String) {
        let mut state = self.lock();
        if state.active.contains(&uid) {
            state.again.insert(uid);
            return;
        }
        if state.queued.insert(uid.clone()) {
            state.pending.push_back(uid);
            drop(state);
            self.ready.notify_one();
        }
    }

    /// The next uid to handle; call [`Queue::done`] after.
    pub async fn pop(&self) -> String {
        loop {
            let notified = self.ready.notified();
            {
                let mut state = self.lock();
                if let Some(uid) = state.pending.pop_front() {
                    state.queued.remove(&uid);
                    state.active.insert(uid.clone());
                    if !state.pending.is_empty() {
                        self.ready.notify_one();
                    }
                    return uid;
                }
            }
            notified.await;
        }
    }

    /// `uid` was handled; queues it again if it was pushed meanwhile.
    pub fn done(&self, uid: &str) {
        let again = {
            let mut state = self.lock();
            state.active.remove(uid);
            state.again.remove(uid)
        };
        if again {
            self.push(uid.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_uid_is_queued_once_and_requeued_when_pushed_while_active() {
        let queue = Queue::default();
        queue.push("a".into());
        queue.push("a".into());
        queue.push("b".into());
        assert_eq!(queue.pop().await, "a");
        queue.push("a".into());
        assert_eq!(queue.pop().await, "b");
        queue.done("b");
        queue.done("a");
        assert_eq!(queue.pop().await, "a");
        assert!(queue.lock().pending.is_empty());
    }
}
