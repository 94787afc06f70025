//! Group commit for sellers that sell at once (several tills, buyers on the venue page): a
//! [`Till`] hands every sale to one writer task, which takes whatever has queued while the
//! last commit was on its way to disk and records it in one transaction, each sale in its own
//! savepoint. One fsync then covers many sales; each seller still hears back only after its
//! sale is on disk, and a sale that fails (sold out, a bad coupon) leaves the others whole.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use crate::{Receipt, Sale, Sales, SalesError};

type Request = (Sale, oneshot::Sender<Result<Receipt, SalesError>>);

/// A queue of sales in front of one writer (clone it to share).
#[derive(Debug, Clone)]
pub struct Till {
    queue: mpsc::Sender<Request>,
    commits: Arc<AtomicU64>,
}

impl Till {
    /// Starts the writer for `sales` (on the current Tokio runtime); at most `batch` sales
    /// share a transaction.
    pub fn start(sales: Sales, batch: usize) -> Till {
        let (queue, mut requests) = mpsc::channel::<Request>(1024);
        let commits = Arc::new(AtomicU64::new(0));
        let counted = commits.clone();
        tokio::spawn(async move {
            let batch = batch.max(1);
            while let Some(first) = requests.recv().await {
                let mut waiting = vec![first];
                while waiting.len() < batch {
                    match requests.try_recv() {
                        Ok(next) => waiting.push(next),
                        Err(_) => break,
                    }
                }
                let (sales_in, replies): (Vec<Sale>, Vec<_>) = waiting.into_iter().unzip();
                let results = sales.sell_batch(&sales_in).await;
                counted.fetch_add(1, Ordering::Relaxed);
                for (reply, result) in replies.into_iter().zip(results) {
                    // A seller that gave up waiting no longer listens; its sale stands.
                    let _ = reply.send(result);
                }
            }
        });
        Till { queue, commits }
    }

    /// Records `sale` as [`Sales::sell`] does, sharing the commit with the sales queued
    /// beside it.
    pub async fn sell(&self, sale: Sale) -> Result<Receipt, SalesError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || SalesError::Commit("the till's writer has stopped".into());
        self.queue
            .send((sale, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Transactions committed so far (fewer than the sales when they shared commits).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}
