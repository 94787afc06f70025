//! `popbooth queue list|retry|cancel|pause|resume`: the event's delivery jobs, and the
//! operator's hand on them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use popbooth_delivery::{JobKind, Queue};
use popbooth_store::Event;

use crate::output::outln;

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Every job, in the order they run (finished ones last)
    List {
        #[arg(long)]
        event: PathBuf,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
    },
    /// Runs a failed, dead or cancelled job again, with all its attempts
    Retry {
        id: String,
        #[arg(long)]
        event: PathBuf,
    },
    /// Cancels a job that is not done
    Cancel {
        id: String,
        #[arg(long)]
        event: PathBuf,
    },
    /// Holds the jobs of one kind (print, email, thank_you, publish), or all
    Pause {
        #[arg(long, value_parser = kind)]
        kind: Option<JobKind>,
        #[arg(long)]
        event: PathBuf,
    },
    /// Lets held jobs run again (of one kind, or all)
    Resume {
        #[arg(long, value_parser = kind)]
        kind: Option<JobKind>,
        #[arg(long)]
        event: PathBuf,
    },
}

fn kind(s: &str) -> Result<JobKind, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| format!("{s:?} is not a kind of job (print, email, thank_you, publish)"))
}

pub async fn run(command: QueueCommand) -> anyhow::Result<ExitCode> {
    let dir = match &command {
        QueueCommand::List { event, .. }
        | QueueCommand::Retry { event, .. }
        | QueueCommand::Cancel { event, .. }
        | QueueCommand::Pause { event, .. }
        | QueueCommand::Resume { event, .. } => event.clone(),
    };
    let event = Event::open(&dir).await?;
    let result = on(&Queue::new(&event), command, &dir).await;
    event.close().await;
    result
}

async fn on(queue: &Queue, command: QueueCommand, dir: &Path) -> anyhow::Result<ExitCode> {
    let changed = |done: bool, id: &str, what: &str| {
        if done {
            outln!("{id}: {what}");
            Ok(ExitCode::SUCCESS)
        } else {
            eprintln!("{id}: no such job in a state that allows it");
            Ok(ExitCode::from(1))
        }
    };
    match command {
        QueueCommand::List { json, .. } => {
            let jobs = queue.list().await?;
            if json {
                let out = serde_json::json!({ "ok": true, "jobs": jobs });
                outln!("{}", serde_json::to_string_pretty(&out)?);
            } else if jobs.is_empty() {
                outln!("No jobs in {}", dir.display());
            } else {
                for j in &jobs {
                    let state = serde_json::to_value(j.state)?;
                    outln!(
                        "{}  {:<9} {:<9} attempt {}/{}{}",
                        j.id,
                        j.kind.as_str(),
                        state.as_str().unwrap_or("?"),
                        j.attempts,
                        j.max_attempts,
                        j.last_error
                            .as_deref()
                            .map(|e| format!("  ({e})"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        QueueCommand::Retry { id, .. } => changed(queue.retry(&id).await?, &id, "queued again"),
        QueueCommand::Cancel { id, .. } => changed(queue.cancel(&id).await?, &id, "cancelled"),
        QueueCommand::Pause { kind, .. } => {
            queue.pause(kind).await?;
            outln!("paused {}", kind.map_or("all jobs", JobKind::as_str));
            Ok(ExitCode::SUCCESS)
        }
        QueueCommand::Resume { kind, .. } => {
            queue.resume(kind).await?;
            outln!("resumed {}", kind.map_or("all jobs", JobKind::as_str));
            Ok(ExitCode::SUCCESS)
        }
    }
}
