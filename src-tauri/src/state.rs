//! The shell's state: which event is open, the recent list, where new events go.

use std::path::{Path, PathBuf};

use popbooth_store::{Event, EventInfo, RecentEvent, RecentEvents, StoreError};
use serde::Serialize;
use tokio::sync::Mutex;

use crate::{AppError, Launch};

/// What the UI's first screen shows.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppState {
    /// The open event, if any; otherwise the UI shows the event picker.
    pub event: Option<EventInfo>,
    pub recent: Vec<RecentEvent>,
    /// Where the picker suggests new event folders.
    pub default_events_dir: String,
}

/// Managed by Tauri; every command goes through it.
#[derive(Debug)]
pub struct Shell {
    event: Mutex<Option<Event>>,
    recent: RecentEvents,
    default_events_dir: PathBuf,
    demo_dir: PathBuf,
}

impl Shell {
    pub fn new(recent_file: PathBuf, default_events_dir: PathBuf, demo_dir: PathBuf) -> Shell {
        Shell {
            event: Mutex::new(None),
            recent: RecentEvents::new(recent_file),
            default_events_dir,
            demo_dir,
        }
    }

    pub fn recent(&self) -> &RecentEvents {
        &self.recent
    }

    pub async fn snapshot(&self) -> AppState {
        AppState {
            event: self.event.lock().await.as_ref().map(|e| e.info().clone()),
            recent: self.recent.list(),
            default_events_dir: self.default_events_dir.to_string_lossy().into_owned(),
        }
    }

    /// `--event DIR` opens that event; `--demo` opens the demo event, creating it the first
    /// time.
    pub async fn open_at_launch(&self, launch: &Launch) -> Result<(), AppError> {
        if let Some(dir) = &launch.event {
            self.open(dir).await?;
        } else if launch.demo {
            match Event::open(&self.demo_dir).await {
                Ok(event) => self.set(event).await.map(drop)?,
                Err(StoreError::NotFound { .. } | StoreError::NotAnEvent { .. }) => {
                    self.create(&self.demo_dir, "Demo Event").await.map(drop)?
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    pub async fn create(&self, dir: &Path, name: &str) -> Result<EventInfo, AppError> {
        let event = Event::create(dir, name).await?;
        self.set(event).await
    }

    pub async fn open(&self, dir: &Path) -> Result<EventInfo, AppError> {
        // Opening the event that is already open is not an error: it stays open.
        if let Some(open) = self.event.lock().await.as_ref()
            && std::fs::canonicalize(dir).ok().as_deref() == Some(open.root())
        {
            return Ok(open.info().clone());
        }
        let event = Event::open(dir).await?;
        self.set(event).await
    }

    async fn set(&self, event: Event) -> Result<EventInfo, AppError> {
        let info = event.info().clone();
        if let Err(e) = self.recent.touch(&info) {
            tracing::warn!(error = %e, "could not update the recent list");
        }
        let previous = self.event.lock().await.replace(event);
        if let Some(previous) = previous {
            previous.close().await;
        }
        Ok(info)
    }

    /// The open event (a handle sharing its database pool), or the error to show.
    pub async fn event(&self, to_do: &str) -> Result<Event, AppError> {
        self.event
            .lock()
            .await
            .clone()
            .ok_or_else(|| AppError::new("no_event", format!("open an event first: {to_do}")))
    }

    /// Takes `count` shots into the open event: from the running camera when the Booth's
    /// camera is on (a device opens only once), else from `source` opened for the purpose.
    pub async fn shoot(
        &self,
        camera: &crate::camera::Camera,
        count: u32,
        interval: std::time::Duration,
    ) -> Result<Vec<popbooth_capture::Taken>, AppError> {
        const PREVIEW: u32 = 480;
        let event = self.event("shots are saved into it").await?;
        let source = camera.source();
        if !camera.is_running() {
            return Ok(popbooth_capture::shoot(&event, source, count, interval, PREVIEW).await?);
        }
        let session = popbooth_capture::start_session(&event, count).await?;
        let label = source.label();
        let mut taken = Vec::new();
        for seq in 1..=count {
            if seq > 1 {
                tokio::time::sleep(interval).await;
            }
            let frame = camera.grab().await.ok_or_else(|| {
                AppError::new(
                    "capture",
                    "the camera gave no picture: it may be reconnecting",
                )
            })?;
            taken.push(
                popbooth_capture::save_shot(&event, &session, seq, &label, frame, PREVIEW).await?,
            );
        }
        Ok(taken)
    }

    pub async fn close(&self) {
        if let Some(event) = self.event.lock().await.take() {
            event.close().await;
        }
    }
}

/// Keeps the background log writer alive (it flushes on drop).
pub struct LogGuard(#[allow(dead_code)] pub tracing_appender::non_blocking::WorkerGuard);

/// Logs to stderr and to a daily file in the app's log folder (`popbooth.log.YYYY-MM-DD`).
/// `RUST_LOG` may change the level; the default is `info`.
pub fn init_logging(dir: Option<PathBuf>) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::{EnvFilter, fmt, prelude::*};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (file_layer, guard) = match dir {
        Some(dir) => {
            let appender = tracing_appender::rolling::daily(dir, "popbooth.log");
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (
                Some(fmt::layer().with_ansi(false).with_writer(writer)),
                Some(guard),
            )
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file_layer)
        .try_init();
    guard
}
