//! Watch fan-out for the backends that own their log (sqlite and memory).
//!
//! The writer calls [`Hub::publish`] after each commit, in revision order. Each watcher is a task
//! that first replays history from the backend's committed log ([`History`]), then follows the
//! live broadcast. A watcher that falls behind the broadcast (it lagged) goes back to the log, so
//! a slow consumer never sees a gap: ordered, no gaps, no duplicates.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::task::{Context, Poll};

use async_trait::async_trait;
use futures_core::Stream;
use tokio::sync::{broadcast, mpsc};

use crate::{Event, Revision, StoreError, WatchStream};

/// How many events one history read returns at most.
const HISTORY_PAGE: usize = 1000;
/// Events kept for live watchers before a slow one is sent back to the log.
const BROADCAST_CAPACITY: usize = 4096;
/// Events buffered between a watcher task and its consumer.
const WATCHER_BUFFER: usize = 256;

/// The committed log, as a watcher reads it to catch up.
#[async_trait]
pub(crate) trait History: Send + Sync + 'static {
    /// Events under `prefix` with `from <= revision <= to`, in revision order, at most `limit`.
    /// Fails with [`StoreError::Compacted`] when `from` is older than the retained history.
    async fn events(
        &self,
        prefix: &str,
        from: Revision,
        to: Revision,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError>;
}

/// The live side of every watch on one store.
#[derive(Debug)]
pub(crate) struct Hub {
    tx: broadcast::Sender<Arc<Event>>,
    /// The newest revision whose event has been (or is about to be) broadcast and is readable
    /// from the log. Updated before the broadcast so that a new watcher never misses an event.
    committed: AtomicI64,
}

impl Hub {
    pub(crate) fn new(current: Revision) -> Self {
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        Hub { tx, committed: AtomicI64::new(current) }
    }

    /// The newest committed revision.
    pub(crate) fn committed(&self) -> Revision {
        self.committed.load(Ordering::SeqCst)
    }

    /// Hands committed events (in revision order) to the watchers.
    pub(crate) fn publish(&self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            self.committed.store(event.revision(), Ordering::SeqCst);
            // No receivers is fine: nobody is watching.
            let _ = self.tx.send(Arc::new(event));
        }
    }

    /// Starts a watcher on `prefix` from revision `from` (0 = after now).
    pub(crate) async fn watch(
        &self,
        history: Arc<dyn History>,
        prefix: &str,
        from: Revision,
    ) -> Result<WatchStream, StoreError> {
        // Subscribe before reading the committed revision: every event after `high` then
        // arrives on `live`, and the ones up to `high` come from the log.
        let live = self.tx.subscribe();
        let high = self.committed.load(Ordering::SeqCst);
        let from = if from <= 0 { high + 1 } else { from };
        // The first page is read here so that a compacted start fails the call itself.
        let first = if from <= high {
            history.events(prefix, from, high, HISTORY_PAGE).await?
        } else {
            Vec::new()
        };
        let (out, rx) = mpsc::channel(WATCHER_BUFFER);
        let watcher = Watcher { history, prefix: prefix.to_owned(), next: from, out };
        tokio::spawn(watcher.run(first, high, live));
        Ok(Box::pin(ReceiverStream(rx)))
    }
}

struct Watcher {
    history: Arc<dyn History>,
    prefix: String,
    /// The next revision this watcher has to deliver.
    next: Revision,
    out: mpsc::Sender<Result<Event, StoreError>>,
}

impl Watcher {
    async fn run(
        mut self,
        first: Vec<Event>,
        high: Revision,
        mut live: broadcast::Receiver<Arc<Event>>,
    ) {
        if self.deliver_page(first, high).await.is_err() || self.catch_up(high).await.is_err() {
            return;
        }
        loop {
            let received = tokio::select! {
                received = live.recv() => received,
                () = self.out.closed() => return,
            };
            let event = match received {
                Ok(event) => event,
                // Fell behind: the next queued event is the oldest one retained, and everything
                // between `next` and it is replayed from the log.
                Err(broadcast::error::RecvError::Lagged(_)) => match live.recv().await {
                    Ok(event) => {
                        if self.catch_up(event.revision() - 1).await.is_err() {
                            return;
                        }
                        event
                    }
                    Err(_) => return,
                },
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if self.deliver_live(&event).await.is_err() {
                return;
            }
        }
    }

    async fn deliver_live(&mut self, event: &Event) -> Result<(), ()> {
        let revision = event.revision();
        if revision < self.next {
            return Ok(());
        }
        self.next = revision + 1;
        if event.kv.key.starts_with(&self.prefix) {
            self.out.send(Ok(event.clone())).await.map_err(|_| ())?;
        }
        Ok(())
    }

    /// Delivers a page already read from the log, then marks `next` past it.
    async fn deliver_page(&mut self, page: Vec<Event>, high: Revision) -> Result<(), ()> {
        let full = page.len() >= HISTORY_PAGE;
        for event in page {
            self.next = event.revision() + 1;
            self.out.send(Ok(event)).await.map_err(|_| ())?;
        }
        if !full {
            self.next = self.next.max(high + 1);
        }
        Ok(())
    }

    /// Replays the log from `next` through `high`.
    async fn catch_up(&mut self, high: Revision) -> Result<(), ()> {
        while self.next <= high {
            match self.history.events(&self.prefix, self.next, high, HISTORY_PAGE).await {
                Ok(page) => self.deliver_page(page, high).await?,
                Err(error) => {
                    let _ = self.out.send(Err(error)).await;
                    return Err(());
                }
            }
        }
        Ok(())
    }
}

/// A watch stream over the channel a watcher task feeds.
struct ReceiverStream(mpsc::Receiver<Result<Event, StoreError>>);

impl Stream for ReceiverStream {
    type Item = Result<Event, StoreError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
