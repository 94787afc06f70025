//! The durable job queue, kept in the event database: prints, emails, thank-you messages and
//! publishing survive a crash or a restart. A worker *claims* the next job (highest priority,
//! then the operator's order) and holds it by a lease that its heartbeats extend; a worker
//! that dies stops beating, its lease runs out and the job is claimed again. Claims happen
//! in one `BEGIN IMMEDIATE` transaction each, so two workers never hold the same job. A
//! failed attempt waits an exponential backoff with jitter; after the last attempt the job
//! is dead until the operator retries it. The operator can also pause and resume (a kind,
//! or everything), cancel and reorder.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;
use time::OffsetDateTime;

use crate::DeliveryError;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Print,
    Email,
    ThankYou,
    Publish,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Print => "print",
            JobKind::Email => "email",
            JobKind::ThankYou => "thank_you",
            JobKind::Publish => "publish",
        }
    }

    fn parse(s: &str) -> Result<JobKind, DeliveryError> {
        Ok(match s {
            "print" => JobKind::Print,
            "email" => JobKind::Email,
            "thank_you" => JobKind::ThankYou,
            "publish" => JobKind::Publish,
            other => return Err(DeliveryError::Corrupt(format!("job kind {other:?}"))),
        })
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Held by a worker's lease.
    Running,
    Done,
    /// An attempt failed; it runs again after its backoff.
    Failed,
    /// Out of attempts: waits for the operator.
    Dead,
    /// The operator cancelled it.
    Cancelled,
}

impl JobState {
    fn parse(s: &str) -> Result<JobState, DeliveryError> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            "dead" => JobState::Dead,
            "cancelled" => JobState::Cancelled,
            other => return Err(DeliveryError::Corrupt(format!("job state {other:?}"))),
        })
    }
}

/// A job to add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewJob {
    pub kind: JobKind,
    /// What the worker needs (JSON).
    pub payload: serde_json::Value,
    /// The same key again is the same job (a retried command adds nothing).
    pub idempotency_key: Option<String>,
    /// Higher runs first (a reprint for a waiting guest before the backlog).
    pub priority: i32,
    pub max_attempts: u32,
}

impl NewJob {
    /// A job of `kind` with `payload`, priority 0, 5 attempts.
    pub fn new(kind: JobKind, payload: serde_json::Value) -> NewJob {
        NewJob {
            kind,
            payload,
            idempotency_key: None,
            priority: 0,
            max_attempts: 5,
        }
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    /// JSON.
    pub payload: String,
    pub priority: i32,
    pub rank: i32,
    pub state: JobState,
    pub attempts: u32,
    pub max_attempts: u32,
    /// Not before (RFC 3339, UTC).
    pub run_after: String,
    pub lease_owner: Option<String>,
    pub lease_until: Option<String>,
    pub last_error: Option<String>,
    pub result: Option<String>,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    kind: String,
    payload: String,
    priority: i64,
    rank: i64,
    state: String,
    attempts: i64,
    max_attempts: i64,
    run_after: String,
    lease_owner: Option<String>,
    lease_until: Option<String>,
    last_error: Option<String>,
    result: Option<String>,
    created_at: String,
}

impl TryFrom<Row> for Job {
    type Error = DeliveryError;

    fn try_from(r: Row) -> Result<Job, DeliveryError> {
        let int = |v: i64, what: &str| {
            i32::try_from(v).map_err(|_| DeliveryError::Corrupt(format!("job {what} {v}")))
        };
        Ok(Job {
            kind: JobKind::parse(&r.kind)?,
            state: JobState::parse(&r.state)?,
            priority: int(r.priority, "priority")?,
            rank: int(r.rank, "rank")?,
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            max_attempts: u32::try_from(r.max_attempts).unwrap_or(1),
            id: r.id,
            payload: r.payload,
            run_after: r.run_after,
            lease_owner: r.lease_owner,
            lease_until: r.lease_until,
            last_error: r.last_error,
            result: r.result,
            created_at: r.created_at,
        })
    }
}

const COLUMNS: &str = "id, kind, payload, priority, rank, state, attempts, max_attempts, \
     run_after, lease_owner, lease_until, last_error, result, created_at";

/// The queue of one event.
#[derive(Debug, Clone)]
pub struct Queue {
    pool: SqlitePool,
}

impl Queue {
    pub fn new(event: &popbooth_store::Event) -> Queue {
        Queue {
            pool: event.pool().clone(),
        }
    }

    /// Adds `job`, or with a key already used, gives back the job that key added.
    pub async fn enqueue(&self, job: &NewJob) -> Result<Job, DeliveryError> {
        if job.max_attempts == 0 {
            return Err(DeliveryError::Invalid(
                "a job needs at least one attempt".into(),
            ));
        }
        let now = stamp(OffsetDateTime::now_utc());
        let id = uuid::Uuid::now_v7().to_string();
        let payload = job.payload.to_string();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO job (id, kind, payload, idempotency_key, priority, state,
             max_attempts, run_after, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?7, ?7)
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(&id)
        .bind(job.kind.as_str())
        .bind(payload)
        .bind(&job.idempotency_key)
        .bind(job.priority)
        .bind(i64::from(job.max_attempts))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let row: Row = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM job WHERE id = ?1
             OR (?2 IS NOT NULL AND idempotency_key = ?2)"
        ))
        .bind(&id)
        .bind(&job.idempotency_key)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// Gives `worker` the next job it may run (of `kinds`, or any when empty), held for
    /// `lease`: a queued job, a failed one whose backoff is over, or a running one whose
    /// worker stopped beating. Paused kinds wait. `None` when there is nothing to do now.
    pub async fn claim(
        &self,
        worker: &str,
        kinds: &[JobKind],
        lease: Duration,
    ) -> Result<Option<Job>, DeliveryError> {
        let now = OffsetDateTime::now_utc();
        let (at, until) = (stamp(now), stamp(now + lease));
        let kinds = serde_json::to_string(&kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>())
            .map_err(|e| DeliveryError::Invalid(e.to_string()))?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // A job whose last attempt's worker vanished is out of attempts.
        sqlx::query(
            "UPDATE job SET state = 'dead', lease_owner = NULL, lease_until = NULL,
             last_error = 'its worker stopped during the last attempt', updated_at = ?1
             WHERE state = 'running' AND lease_until < ?1 AND attempts >= max_attempts",
        )
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let row: Option<Row> = sqlx::query_as(&format!(
            "UPDATE job SET state = 'running', lease_owner = ?1, lease_until = ?2,
             attempts = attempts + 1, updated_at = ?3
             WHERE id = (
                 SELECT id FROM job
                 WHERE ((state IN ('queued', 'failed') AND run_after <= ?3)
                        OR (state = 'running' AND lease_until < ?3))
                   AND NOT EXISTS (SELECT 1 FROM job_pause p WHERE p.kind IN (job.kind, '*'))
                   AND (json_array_length(?4) = 0 OR kind IN (SELECT value FROM json_each(?4)))
                 ORDER BY priority DESC, rank, id LIMIT 1)
             RETURNING {COLUMNS}"
        ))
        .bind(worker)
        .bind(&until)
        .bind(&at)
        .bind(kinds)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(Job::try_from).transpose()
    }

    /// Extends `worker`'s lease on job `id`; false when it no longer holds it (it ran out
    /// and another worker took the job, or the operator cancelled it): stop working on it.
    pub async fn heartbeat(
        &self,
        id: &str,
        worker: &str,
        lease: Duration,
    ) -> Result<bool, DeliveryError> {
        let now = OffsetDateTime::now_utc();
        let held = sqlx::query(
            "UPDATE job SET lease_until = ?1, updated_at = ?2
             WHERE id = ?3 AND lease_owner = ?4 AND state = 'running'",
        )
        .bind(stamp(now + lease))
        .bind(stamp(now))
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(held == 1)
    }

    /// Job `id` is done (by `worker`, who must still hold it); false when it did not.
    pub async fn complete(
        &self,
        id: &str,
        worker: &str,
        result: &str,
    ) -> Result<bool, DeliveryError> {
        let done = sqlx::query(
            "UPDATE job SET state = 'done', result = ?1, lease_owner = NULL, lease_until = NULL,
             updated_at = ?2 WHERE id = ?3 AND lease_owner = ?4 AND state = 'running'",
        )
        .bind(result)
        .bind(stamp(OffsetDateTime::now_utc()))
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// `worker`'s attempt at job `id` failed with `error`: it runs again after a backoff, or
    /// is dead after its last attempt. The state it is in now (`None`: the worker no longer
    /// held it).
    pub async fn fail(
        &self,
        id: &str,
        worker: &str,
        error: &str,
    ) -> Result<Option<JobState>, DeliveryError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let held: Option<(i64, i64)> = sqlx::query_as(
            "SELECT attempts, max_attempts FROM job
             WHERE id = ? AND lease_owner = ? AND state = 'running'",
        )
        .bind(id)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((attempts, max)) = held else {
            return Ok(None);
        };
        let now = OffsetDateTime::now_utc();
        let state = if attempts >= max {
            JobState::Dead
        } else {
            JobState::Failed
        };
        let after = now + backoff(u32::try_from(attempts).unwrap_or(u32::MAX), jitter());
        sqlx::query(
            "UPDATE job SET state = ?1, last_error = ?2, run_after = ?3, lease_owner = NULL,
             lease_until = NULL, updated_at = ?4 WHERE id = ?5",
        )
        .bind(if state == JobState::Dead {
            "dead"
        } else {
            "failed"
        })
        .bind(error)
        .bind(stamp(after))
        .bind(stamp(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(state))
    }

    /// Holds jobs of `kind` (all, with `None`) until [`Queue::resume`]; running ones finish.
    pub async fn pause(&self, kind: Option<JobKind>) -> Result<(), DeliveryError> {
        sqlx::query("INSERT OR IGNORE INTO job_pause (kind) VALUES (?)")
            .bind(kind.map_or("*", JobKind::as_str))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Lets jobs of `kind` (all, with `None`: every pause) run again.
    pub async fn resume(&self, kind: Option<JobKind>) -> Result<(), DeliveryError> {
        match kind {
            Some(k) => sqlx::query("DELETE FROM job_pause WHERE kind = ?").bind(k.as_str()),
            None => sqlx::query("DELETE FROM job_pause"),
        }
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Runs a failed, dead or cancelled job again now, with all its attempts.
    pub async fn retry(&self, id: &str) -> Result<bool, DeliveryError> {
        self.set_state(
            id,
            "state = 'queued', attempts = 0, run_after = ?1",
            "state IN ('failed', 'dead', 'cancelled')",
        )
        .await
    }

    /// Cancels a job that is not done; a worker running it loses its lease at its next
    /// heartbeat.
    pub async fn cancel(&self, id: &str) -> Result<bool, DeliveryError> {
        self.set_state(
            id,
            "state = 'cancelled', lease_owner = NULL, lease_until = NULL",
            "state IN ('queued', 'running', 'failed', 'dead')",
        )
        .await
    }

    async fn set_state(&self, id: &str, set: &str, from: &str) -> Result<bool, DeliveryError> {
        let changed = sqlx::query(&format!(
            "UPDATE job SET {set}, updated_at = ?1 WHERE id = ?2 AND {from}"
        ))
        .bind(stamp(OffsetDateTime::now_utc()))
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Puts the jobs `ids` in this order (within their priority), as the operator dragged
    /// them.
    pub async fn reorder(&self, ids: &[String]) -> Result<(), DeliveryError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for (rank, id) in ids.iter().enumerate() {
            sqlx::query("UPDATE job SET rank = ? WHERE id = ?")
                .bind(i64::try_from(rank).unwrap_or(i64::MAX))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every job, in the order they would run (finished ones last, newest first).
    pub async fn list(&self) -> Result<Vec<Job>, DeliveryError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM job ORDER BY state IN ('done', 'cancelled'),
             priority DESC, rank, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Job::try_from).collect()
    }

    /// Job `id`.
    pub async fn get(&self, id: &str) -> Result<Option<Job>, DeliveryError> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM job WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Job::try_from).transpose()
    }
}

/// The wait before attempt `attempts + 1`: 2 s doubling per attempt, at most 10 minutes,
/// spread by `jitter` (0..1 maps to 75%..125%) so that jobs that failed together (a printer
/// back online) do not all come back at once.
pub fn backoff(attempts: u32, jitter: f64) -> Duration {
    let base = 2.0
        * 2f64.powi(
            i32::try_from(attempts.saturating_sub(1))
                .unwrap_or(30)
                .min(30),
        );
    let capped = base.min(600.0);
    Duration::from_secs_f64(capped * (0.75 + 0.5 * jitter.clamp(0.0, 1.0)))
}

/// A random share in 0..1.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    // Without randomness the middle of the range will do.
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX)
}

/// A time as the queue stores it: RFC 3339 in UTC with milliseconds, always the same width,
/// so that times compare as text in SQL.
fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        assert_eq!(backoff(1, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(2, 0.5), Duration::from_secs(4));
        assert_eq!(backoff(4, 0.5), Duration::from_secs(16));
        assert_eq!(backoff(1, 0.0), Duration::from_millis(1500));
        assert_eq!(backoff(1, 1.0), Duration::from_millis(2500));
        assert_eq!(backoff(40, 0.5), Duration::from_secs(600));
        let j = jitter();
        assert!((0.0..=1.0).contains(&j));
    }

    #[test]
    fn stamps_compare_as_text() {
        let t = OffsetDateTime::from_unix_timestamp(1_764_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let (a, b) = (stamp(t), stamp(t + Duration::from_millis(5)));
        assert_eq!(a.len(), 24);
        assert!(a < b, "{a} {b}");
        assert!(a.ends_with(".000Z"));
    }
}
