//! The etcd backend: a real etcd v3 cluster, for servers that share one store.
//!
//! Start at [`EtcdStore::connect`]. Every key lives under a configurable prefix. Creates, updates
//! and deletes are single transactions whose compare is the precondition (`create_revision == 0`,
//! `mod_revision == expected`), so etcd's own revisions are the store's revisions. Writes are
//! never retried: when the connection breaks before the answer, the caller gets
//! [`StoreError::Indeterminate`]. Reads retry briefly through leader elections. A watch is a task
//! that keeps an etcd watch open and, when it breaks (member restart, leader change), opens a new
//! one from the revision after the last event it delivered, so no event is lost or repeated.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use etcd_client::{
    Client, CompactionOptions, Compare, CompareOp, ConnectOptions, DeleteOptions, EventType,
    GetOptions, GetResponse, KvClient, PutOptions, Txn, TxnOp, TxnOpResponse, WatchOptions,
};
use tokio::sync::mpsc;

use crate::{
    Event, EventKind, KeyValue, ListOptions, ListResult, Revision, Store, StoreError, WatchStream,
    check_entry, prefix_end,
};

/// Where the cluster is and how to talk to it.
#[derive(Clone, Debug)]
pub struct EtcdConfig {
    /// Client URLs, e.g. `http://127.0.0.1:2379`.
    pub endpoints: Vec<String>,
    /// Prepended to every key, so that several clusters can share one etcd.
    pub prefix: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// How long reads and watch reconnects keep retrying while etcd is unavailable.
    pub retry_for: Duration,
}

impl EtcdConfig {
    pub fn new(endpoints: Vec<String>) -> Self {
        EtcdConfig {
            endpoints,
            prefix: String::new(),
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            retry_for: Duration::from_secs(10),
        }
    }

    /// Parses a datastore endpoint: `etcd://host:port[,host:port…][/prefix]` or
    /// `http://host:port[,http://host:port…]`.
    pub fn from_endpoint(endpoint: &str) -> Result<Self, StoreError> {
        let invalid = |reason: &str| StoreError::Unavailable {
            message: format!("invalid datastore endpoint {endpoint:?}: {reason}"),
            source: None,
        };
        if let Some(rest) = endpoint.strip_prefix("etcd://") {
            let (hosts, prefix) = match rest.find('/') {
                Some(slash) => (&rest[..slash], &rest[slash..]),
                None => (rest, ""),
            };
            let endpoints: Vec<String> =
                hosts.split(',').filter(|h| !h.is_empty()).map(|h| format!("http://{h}")).collect();
            if endpoints.is_empty() {
                return Err(invalid("no hosts"));
            }
            let prefix = prefix.trim_end_matches('/').to_owned();
            return Ok(EtcdConfig { prefix, ..EtcdConfig::new(endpoints) });
        }
        if endpoint.starts_with("https://") {
            return Err(invalid(
                "TLS to etcd is not supported yet; use http:// on a trusted network",
            ));
        }
        if endpoint.starts_with("http://") {
            let endpoints = endpoint.split(',').map(str::to_owned).collect();
            return Ok(EtcdConfig::new(endpoints));
        }
        Err(invalid("expected etcd://, http://, sqlite:// or memory://"))
    }
}

/// The etcd backend.
#[derive(Clone)]
pub struct EtcdStore {
    client: Client,
    kv: KvClient,
    config: EtcdConfig,
}

impl std::fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdStore").field("config", &self.config).finish()
    }
}

impl EtcdStore {
    /// Connects and checks that the cluster answers; an unreachable cluster is
    /// [`StoreError::Unavailable`] after `connect_timeout`.
    pub async fn connect(config: EtcdConfig) -> Result<Self, StoreError> {
        let options = ConnectOptions::new()
            .with_connect_timeout(config.connect_timeout)
            .with_timeout(config.request_timeout)
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(5))
            .with_require_leader(true);
        let endpoints = config.endpoints.join(",");
        let client = Client::connect(&config.endpoints, Some(options)).await.map_err(|e| {
            StoreError::unavailable(format!("connecting to etcd at {endpoints}"), e)
        })?;
        // Lists of many objects are large: accept what etcd is willing to send.
        let kv = client.kv_client().max_decoding_message_size(i32::MAX as usize);
        let store = EtcdStore { client, kv, config };
        let mut kv = store.kv();
        let probe = kv.get(store.full("/"), Some(GetOptions::new().with_count_only()));
        match tokio::time::timeout(store.config.connect_timeout, probe).await {
            Ok(Ok(_)) => Ok(store),
            Ok(Err(e)) => {
                Err(StoreError::unavailable(format!("etcd at {endpoints} does not answer"), e))
            }
            Err(_) => Err(StoreError::Unavailable {
                message: format!(
                    "etcd at {endpoints} did not answer within {:?}",
                    store.config.connect_timeout
                ),
                source: None,
            }),
        }
    }

    fn kv(&self) -> KvClient {
        self.kv.clone()
    }

    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.config.prefix)
    }

    fn convert(&self, kv: &etcd_client::KeyValue) -> Result<KeyValue, StoreError> {
        let key = kv
            .key_str()
            .map_err(|e| StoreError::internal("etcd returned a key that is not UTF-8", e))?;
        let key = key.strip_prefix(self.config.prefix.as_str()).unwrap_or(key).to_owned();
        Ok(KeyValue {
            key,
            value: Bytes::copy_from_slice(kv.value()),
            create_revision: kv.create_revision(),
            mod_revision: kv.mod_revision(),
            version: kv.version(),
        })
    }

    /// A read, retried while etcd is briefly unavailable (leader election, member restart).
    async fn read(&self, key: String, options: GetOptions) -> Result<GetResponse, StoreError> {
        let deadline = tokio::time::Instant::now() + self.config.retry_for;
        let mut delay = Duration::from_millis(50);
        loop {
            match self.kv().get(key.as_str(), Some(options.clone())).await {
                Ok(response) => return Ok(response),
                Err(error) => {
                    let error = read_error(error);
                    if !error.is_retryable() || tokio::time::Instant::now() + delay > deadline {
                        return Err(error);
                    }
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// Runs a conditional write; the `or_else` branch reads the key back.
    async fn txn(
        &self,
        key: &str,
        when: Vec<Compare>,
        then: TxnOp,
    ) -> Result<Result<(Revision, TxnOpResponse), Option<KeyValue>>, StoreError> {
        let full = self.full(key);
        let txn = Txn::new().when(when).and_then([then]).or_else([TxnOp::get(full, None)]);
        let response = self.kv().txn(txn).await.map_err(|e| write_error(key, e))?;
        let revision = response.header().map_or(0, |h| h.revision());
        let first = response.op_responses().into_iter().next();
        if response.succeeded() {
            let first = first.ok_or_else(|| unexpected("an empty transaction response"))?;
            return Ok(Ok((revision, first)));
        }
        match first {
            Some(TxnOpResponse::Get(get)) => {
                let current = get.kvs().first().map(|kv| self.convert(kv)).transpose()?;
                Ok(Err(current))
            }
            _ => Err(unexpected("a failed transaction without the read-back")),
        }
    }
}

#[async_trait]
impl Store for EtcdStore {
    async fn get(&self, key: &str) -> Result<KeyValue, StoreError> {
        let response = self.read(self.full(key), GetOptions::new()).await?;
        match response.kvs().first() {
            Some(kv) => self.convert(kv),
            None => Err(StoreError::NotFound { key: key.to_owned() }),
        }
    }

    async fn list(&self, opts: &ListOptions) -> Result<ListResult, StoreError> {
        let start = self.full(opts.start_key());
        let end = prefix_end(&self.full(&opts.prefix)).unwrap_or_else(|| vec![0]);
        let mut options = GetOptions::new().with_range(end);
        if let Some(limit) = opts.limit.filter(|l| *l > 0) {
            options = options.with_limit(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        if let Some(revision) = opts.revision.filter(|r| *r > 0) {
            options = options.with_revision(revision);
        }
        let response =
            self.read(start, options).await.map_err(|e| at_revision(e, opts.revision))?;
        let revision = response.header().map_or(0, |h| h.revision());
        let kvs = response.kvs().iter().map(|kv| self.convert(kv)).collect::<Result<_, _>>()?;
        let revision = opts.revision.filter(|r| *r > 0).unwrap_or(revision);
        Ok(ListResult { kvs, revision, more: response.more() })
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        check_entry(key, &value)?;
        let full = self.full(key);
        let when = vec![Compare::create_revision(full.as_str(), CompareOp::Equal, 0)];
        let then = TxnOp::put(full, value.to_vec(), None);
        match self.txn(key, when, then).await? {
            Ok((revision, _)) => Ok(KeyValue {
                key: key.to_owned(),
                value,
                create_revision: revision,
                mod_revision: revision,
                version: 1,
            }),
            Err(current) => Err(StoreError::AlreadyExists {
                key: key.to_owned(),
                current: current.map(Box::new),
            }),
        }
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> Result<KeyValue, StoreError> {
        check_entry(key, &value)?;
        let full = self.full(key);
        let when = vec![
            Compare::create_revision(full.as_str(), CompareOp::Greater, 0),
            Compare::mod_revision(full.as_str(), CompareOp::Equal, expected),
        ];
        let then = TxnOp::put(full, value.to_vec(), Some(PutOptions::new().with_prev_key()));
        match self.txn(key, when, then).await? {
            Ok((revision, TxnOpResponse::Put(put))) => {
                let prev = put.prev_key().ok_or_else(|| unexpected("a put without its prev_kv"))?;
                Ok(KeyValue {
                    key: key.to_owned(),
                    value,
                    create_revision: prev.create_revision(),
                    mod_revision: revision,
                    version: prev.version() + 1,
                })
            }
            Ok(_) => Err(unexpected("a put answered by another operation")),
            Err(current) => Err(refusal(key, Some(expected), current)),
        }
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue, StoreError> {
        let full = self.full(key);
        let mut when = vec![Compare::create_revision(full.as_str(), CompareOp::Greater, 0)];
        if let Some(expected) = expected {
            when.push(Compare::mod_revision(full.as_str(), CompareOp::Equal, expected));
        }
        let then = TxnOp::delete(full, Some(DeleteOptions::new().with_prev_key()));
        match self.txn(key, when, then).await? {
            Ok((_, TxnOpResponse::Delete(delete))) => match delete.prev_kvs().first() {
                Some(prev) => self.convert(prev),
                None => Err(unexpected("a delete without its prev_kv")),
            },
            Ok(_) => Err(unexpected("a delete answered by another operation")),
            Err(current) => Err(refusal(key, expected, current)),
        }
    }

    async fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, StoreError> {
        let current = self.current_revision().await?;
        let from = if from <= 0 { current + 1 } else { from };
        if from <= current {
            // Fails with Compacted when `from` is gone, so that the caller hears it at once.
            let probe = GetOptions::new().with_count_only().with_revision(from);
            self.read(self.full(prefix), probe).await.map_err(|e| at_revision(e, Some(from)))?;
        }
        let (out, rx) = mpsc::channel(256);
        let task = EtcdWatch { store: self.clone(), prefix: prefix.to_owned(), next: from, out };
        tokio::spawn(task.run());
        Ok(Box::pin(ChannelStream(rx)))
    }

    async fn current_revision(&self) -> Result<Revision, StoreError> {
        let response = self.read(self.full("/"), GetOptions::new().with_count_only()).await?;
        Ok(response.header().map_or(0, |h| h.revision()))
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        let options = CompactionOptions::new().with_physical();
        match self.kv().compact(revision, Some(options)).await {
            Ok(_) => Ok(()),
            Err(e) => match at_revision(read_error(e), Some(revision)) {
                // Compacting to where it already is, or before, is done.
                StoreError::Compacted { .. } => Ok(()),
                other => Err(other),
            },
        }
    }
}

/// One watch: keeps an etcd watch open and resumes it after the last delivered revision.
struct EtcdWatch {
    store: EtcdStore,
    prefix: String,
    /// The next revision to deliver.
    next: Revision,
    out: mpsc::Sender<Result<Event, StoreError>>,
}

impl EtcdWatch {
    async fn run(mut self) {
        let full = self.store.full(&self.prefix);
        let end = prefix_end(&full).unwrap_or_else(|| vec![0]);
        let mut failing_since: Option<tokio::time::Instant> = None;
        let mut delay = Duration::from_millis(50);
        loop {
            let options = WatchOptions::new()
                .with_range(end.clone())
                .with_start_revision(self.next)
                .with_prev_key();
            let mut client =
                self.store.client.watch_client().max_decoding_message_size(i32::MAX as usize);
            let opened = tokio::select! {
                opened = client.watch(full.as_str(), Some(options)) => opened,
                () = self.out.closed() => return,
            };
            if let Ok(mut stream) = opened {
                loop {
                    let message = tokio::select! {
                        message = stream.message() => message,
                        () = self.out.closed() => return,
                    };
                    let Ok(Some(response)) = message else { break };
                    failing_since = None;
                    delay = Duration::from_millis(50);
                    if response.compact_revision() > 0 {
                        let compacted = response.compact_revision();
                        let error = StoreError::Compacted { requested: self.next, compacted };
                        let _ = self.out.send(Err(error)).await;
                        return;
                    }
                    for event in response.events() {
                        match self.convert(event) {
                            Ok(event) => {
                                self.next = event.revision() + 1;
                                if self.out.send(Ok(event)).await.is_err() {
                                    return;
                                }
                            }
                            Err(error) => {
                                let _ = self.out.send(Err(error)).await;
                                return;
                            }
                        }
                    }
                    if response.canceled() {
                        break;
                    }
                }
            }
            // The watch broke: try again from `next` until etcd has been gone for too long.
            let since = *failing_since.get_or_insert_with(tokio::time::Instant::now);
            if since.elapsed() > self.store.config.retry_for.max(Duration::from_secs(30)) {
                let error = StoreError::Unavailable {
                    message: format!(
                        "lost the etcd watch on {} and could not resume it",
                        self.prefix
                    ),
                    source: None,
                };
                let _ = self.out.send(Err(error)).await;
                return;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    fn convert(&self, event: &etcd_client::Event) -> Result<Event, StoreError> {
        let kv = event.kv().ok_or_else(|| unexpected("a watch event without its key"))?;
        let kv = self.store.convert(kv)?;
        let prev = event.prev_kv().map(|p| self.store.convert(p)).transpose()?;
        Ok(match event.event_type() {
            EventType::Delete => Event {
                kind: EventKind::Delete,
                kv: KeyValue { value: Bytes::new(), create_revision: 0, version: 0, ..kv },
                prev,
            },
            EventType::Put if kv.version == 1 => Event { kind: EventKind::Create, kv, prev: None },
            EventType::Put => Event { kind: EventKind::Update, kv, prev },
        })
    }
}

struct ChannelStream(mpsc::Receiver<Result<Event, StoreError>>);

impl futures_core::Stream for ChannelStream {
    type Item = Result<Event, StoreError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// The error for a failed precondition, from the value read back.
fn refusal(key: &str, expected: Option<Revision>, current: Option<KeyValue>) -> StoreError {
    match (current, expected) {
        (None, _) => StoreError::NotFound { key: key.to_owned() },
        (Some(current), Some(expected)) => {
            StoreError::Conflict { key: key.to_owned(), expected, current: Box::new(current) }
        }
        (Some(_), None) => unexpected("a delete refused although the key exists"),
    }
}

fn unexpected(what: &str) -> StoreError {
    StoreError::Internal { message: format!("etcd sent {what}"), source: None }
}

fn status_of(error: &etcd_client::Error) -> Option<(tonic::Code, &str)> {
    match error {
        etcd_client::Error::GRpcStatus(status) => Some((status.code(), status.message())),
        _ => None,
    }
}

/// A failed read: etcd's definite refusals become typed errors, the rest is retryable.
fn read_error(error: etcd_client::Error) -> StoreError {
    match status_of(&error) {
        Some((_, message)) if message.contains("required revision has been compacted") => {
            StoreError::Compacted { requested: 0, compacted: 0 }
        }
        Some((_, message)) if message.contains("required revision is a future revision") => {
            StoreError::FutureRevision { requested: 0, current: 0 }
        }
        Some((tonic::Code::InvalidArgument | tonic::Code::PermissionDenied, _)) => {
            StoreError::internal("etcd refused the read", error)
        }
        _ => StoreError::unavailable("etcd read failed", error),
    }
}

/// Fills in the revision a read asked for.
fn at_revision(error: StoreError, requested: Option<Revision>) -> StoreError {
    let requested = requested.unwrap_or(0);
    match error {
        StoreError::Compacted { compacted, .. } => StoreError::Compacted { requested, compacted },
        StoreError::FutureRevision { current, .. } => {
            StoreError::FutureRevision { requested, current }
        }
        other => other,
    }
}

/// A failed write. Only answers that prove nothing was applied are definite; anything else
/// (a timeout, a broken connection) may have been applied and is reported as indeterminate.
fn write_error(key: &str, error: etcd_client::Error) -> StoreError {
    let shown = crate::truncate_key(key);
    match status_of(&error) {
        Some((_, message)) if message.contains("request is too large") => {
            StoreError::TooLarge { key: shown, size: 0, limit: crate::MAX_ENTRY_BYTES }
        }
        Some((tonic::Code::InvalidArgument | tonic::Code::PermissionDenied, _)) => {
            StoreError::internal(format!("etcd refused the write to {shown}"), error)
        }
        Some((tonic::Code::ResourceExhausted, _)) => {
            StoreError::unavailable(format!("etcd is overloaded; {shown} was not written"), error)
        }
        Some((tonic::Code::Unavailable, message))
            if message.contains("tcp connect error") || message.contains("no leader") =>
        {
            StoreError::unavailable(format!("etcd is unavailable; {shown} was not written"), error)
        }
        _ => StoreError::Indeterminate {
            key: shown,
            message: error.to_string(),
            source: Some(Box::new(error)),
        },
    }
}
