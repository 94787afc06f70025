//! The job queue against a real event database: the operator's controls, two workers at
//! once, and workers killed with SIGKILL in the middle of a job.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use popbooth_delivery::{JobKind, JobState, NewJob, Queue};
use popbooth_store::Event;
use serde_json::json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const LEASE: Duration = Duration::from_secs(1);

#[tokio::test]
async fn the_operator_orders_pauses_retries_and_cancels() -> TestResult {
    let dir = tempfile::tempdir()?;
    let event = Event::create(&dir.path().join("Fair"), "Fair").await?;
    let queue = Queue::new(&event);
    // The same key twice is one job.
    let keyed = NewJob {
        idempotency_key: Some("print-order-1".into()),
        ..NewJob::new(JobKind::Print, json!({"order": 1}))
    };
    let first = queue.enqueue(&keyed).await?;
    assert_eq!(queue.enqueue(&keyed).await?.id, first.id);
    let email = queue
        .enqueue(&NewJob::new(JobKind::Email, json!({"to": "a@b.c"})))
        .await?;
    let urgent = queue
        .enqueue(&NewJob {
            priority: 5,
            ..NewJob::new(JobKind::Print, json!({"order": 2}))
        })
        .await?;
    assert_eq!(queue.list().await?.len(), 3);
    // Priority first, then the operator's order: the email before the first print.
    queue.reorder(&[email.id.clone(), first.id.clone()]).await?;
    let order: Vec<String> = queue.list().await?.into_iter().map(|j| j.id).collect();
    assert_eq!(
        order,
        [urgent.id.clone(), email.id.clone(), first.id.clone()]
    );
    // Prints paused: the worker gets the email; everything paused: nothing.
    queue.pause(Some(JobKind::Print)).await?;
    let got = queue.claim("w1", &[], LEASE).await?.ok_or("no job")?;
    assert_eq!(got.id, email.id);
    queue.pause(None).await?;
    assert!(queue.claim("w1", &[], LEASE).await?.is_none());
    queue.resume(None).await?;
    // A worker for emails only finds none left; any worker gets the urgent print.
    assert!(queue.claim("w2", &[JobKind::Email], LEASE).await?.is_none());
    let got = queue.claim("w2", &[], LEASE).await?.ok_or("no job")?;
    assert_eq!(
        (got.id.as_str(), got.state, got.attempts),
        (urgent.id.as_str(), JobState::Running, 1)
    );
    // Failing: a backoff, then (one attempt allowed) dead; the operator retries it.
    assert_eq!(
        queue.fail(&urgent.id, "w2", "out of paper").await?,
        Some(JobState::Failed)
    );
    let failed = queue.get(&urgent.id).await?.ok_or("gone")?;
    assert!(failed.run_after > failed.created_at);
    assert_eq!(failed.last_error.as_deref(), Some("out of paper"));
    // Not yet: its backoff is 1.5-2.5 s. The other print is next.
    let next = queue
        .claim("w2", &[JobKind::Print], LEASE)
        .await?
        .ok_or("no job")?;
    assert_eq!(next.id, first.id);
    // A worker that does not hold a job cannot finish it; the holder can.
    assert!(!queue.complete(&first.id, "w9", "{}").await?);
    assert!(
        queue
            .complete(&first.id, "w2", r#"{"printer_job":7}"#)
            .await?
    );
    let single = queue
        .enqueue(&NewJob {
            max_attempts: 1,
            ..NewJob::new(JobKind::Publish, json!({}))
        })
        .await?;
    let got = queue
        .claim("w3", &[JobKind::Publish], LEASE)
        .await?
        .ok_or("no job")?;
    assert_eq!(got.id, single.id);
    assert_eq!(
        queue.fail(&single.id, "w3", "no network").await?,
        Some(JobState::Dead)
    );
    assert!(
        queue
            .claim("w3", &[JobKind::Publish], LEASE)
            .await?
            .is_none()
    );
    assert!(queue.retry(&single.id).await?);
    assert_eq!(
        queue
            .claim("w3", &[JobKind::Publish], LEASE)
            .await?
            .map(|j| j.attempts),
        Some(1)
    );
    // Cancelling a running job takes it from its worker.
    assert!(queue.cancel(&single.id).await?);
    assert!(!queue.heartbeat(&single.id, "w3", LEASE).await?);
    assert!(!queue.complete(&single.id, "w3", "{}").await?);
    assert_eq!(
        queue.get(&single.id).await?.map(|j| j.state),
        Some(JobState::Cancelled)
    );
    event.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_never_run_the_same_job_at_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let event = Event::create(&dir.path().join("Fair"), "Fair").await?;
    let queue = Queue::new(&event);
    for i in 0..40 {
        queue
            .enqueue(&NewJob::new(JobKind::Print, json!({ "n": i })))
            .await?;
    }
    let running: Arc<Mutex<HashSet<String>>> = Arc::default();
    let runs: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let mut workers = tokio::task::JoinSet::new();
    for w in ["worker-a", "worker-b"] {
        let (queue, running, runs) = (queue.clone(), running.clone(), runs.clone());
        workers.spawn(async move {
            while let Some(job) = queue.claim(w, &[], LEASE).await? {
                let fresh = running
                    .lock()
                    .map_err(|e| e.to_string())?
                    .insert(job.id.clone());
                if !fresh {
                    return Err(format!("{} is run twice at once", job.id).into());
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
                assert!(queue.heartbeat(&job.id, w, LEASE).await?);
                *runs
                    .lock()
                    .map_err(|e| e.to_string())?
                    .entry(job.id.clone())
                    .or_default() += 1;
                running.lock().map_err(|e| e.to_string())?.remove(&job.id);
                assert!(queue.complete(&job.id, w, "{}").await?);
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
    }
    while let Some(done) = workers.join_next().await {
        done?.map_err(|e| e.to_string())?;
    }
    let runs = runs.lock().map_err(|e| e.to_string())?.clone();
    assert_eq!(runs.len(), 40);
    assert!(runs.values().all(|&n| n == 1), "{runs:?}");
    assert!(
        queue
            .list()
            .await?
            .iter()
            .all(|j| j.state == JobState::Done)
    );
    event.close().await;
    Ok(())
}

/// The child of the kill test: works jobs until there are none, writing each job's effect
/// (its id, appended to a file) before marking it done.
#[tokio::test]
async fn child_works_until_killed() -> TestResult {
    let Ok(dir) = std::env::var("POPBOOTH_QUEUE_CHILD") else {
        return Ok(()); // Only as the kill test's child.
    };
    let event = Event::open(std::path::Path::new(&dir)).await?;
    let queue = Queue::new(&event);
    let worker = format!("child-{}", std::process::id());
    let effects = std::path::Path::new(&dir).join("effects.txt");
    loop {
        let Some(job) = queue.claim(&worker, &[], LEASE).await? else {
            let open = queue.list().await?.iter().any(|j| {
                matches!(
                    j.state,
                    JobState::Queued | JobState::Running | JobState::Failed
                )
            });
            if !open {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // Mid-job: the effect is made, the job not yet marked done.
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&effects)?;
        writeln!(file, "{}", job.id)?;
        file.sync_all()?;
        tokio::time::sleep(Duration::from_millis(15)).await;
        queue.complete(&job.id, &worker, "{}").await?;
    }
    event.close().await;
    Ok(())
}

#[tokio::test]
async fn jobs_survive_workers_killed_mid_job() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("Fair");
    let event = Event::create(&path, "Fair").await?;
    let queue = Queue::new(&event);
    let mut ids = HashSet::new();
    for i in 0..60 {
        ids.insert(
            queue
                .enqueue(&NewJob::new(JobKind::Print, json!({ "n": i })))
                .await?
                .id,
        );
    }
    event.close().await;
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .subsec_nanos()
        | 1;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut kills = 0;
    loop {
        let mut child = Command::new(std::env::current_exe()?)
            .args([
                "--exact",
                "child_works_until_killed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("POPBOOTH_QUEUE_CHILD", &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        // Kill it after a random while (xorshift), three times; then let one finish.
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        if kills < 3 {
            tokio::time::sleep(Duration::from_millis(250 + u64::from(seed % 250))).await;
            child.kill()?; // SIGKILL: mid-transaction, mid-job, no destructor.
            child.wait()?;
            kills += 1;
            continue;
        }
        // The killed workers had got somewhere before the last one starts.
        let done_before = std::fs::read_to_string(path.join("effects.txt")).unwrap_or_default();
        assert!(
            !done_before.is_empty(),
            "the killed workers never started a job"
        );
        let status = child.wait()?;
        assert!(status.success(), "the last worker failed: {status}");
        break;
    }
    assert!(Instant::now() < deadline);
    let event = Event::open(&path).await?;
    let (ok,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(event.pool())
        .await?;
    assert_eq!(ok, "ok");
    let jobs = Queue::new(&event).list().await?;
    assert_eq!(jobs.len(), 60);
    assert!(jobs.iter().all(|j| j.state == JobState::Done), "{jobs:?}");
    // Every job's effect was made (at least once: a job cut after its effect runs again).
    let effects = std::fs::read_to_string(path.join("effects.txt"))?;
    let made: HashSet<String> = effects.lines().map(str::to_owned).collect();
    assert_eq!(made, ids);
    // A job's effect is made at most once per attempt: one cut after its effect and before
    // "done" ran again (after its lease ran out), and counted that attempt.
    let mut per_job: HashMap<&str, u32> = HashMap::new();
    for line in effects.lines() {
        *per_job.entry(line).or_default() += 1;
    }
    for job in &jobs {
        let made = per_job.get(job.id.as_str()).copied().unwrap_or(0);
        assert!(
            made >= 1 && made <= job.attempts,
            "{job:?} made {made} times"
        );
    }
    event.close().await;
    Ok(())
}
