//! The festival sync in the app: every 20 s, when the open event has a target, this booth's
//! sales go to the festival's shared PostgreSQL and the other booths' come back
//! (`popbooth_sales::Shared`); each outcome is a `SyncStatus` event, and new sales from
//! elsewhere a `SalesChanged` one.

use popbooth_sales::{Shared, SyncReport, SyncTarget};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event as _;

use crate::sales::{changed, sales};
use crate::{AppError, Shell};

/// Where this booth syncs and how the last sync went.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SyncSettings {
    pub booth: String,
    pub target: Option<SyncTarget>,
    pub last: Option<SyncStatus>,
    /// This booth's changes (sales, payments, ...) not yet sent to the other booths.
    pub unsynced: u32,
}

/// How a sync went; sent as an event after each one (every 20 s when a target is set).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SyncStatus {
    pub ok: bool,
    /// What was done, or why not ("the festival's shared database: ..."): the sales are
    /// safe on this laptop either way.
    pub message: String,
    pub report: Option<SyncReport>,
    /// This booth's changes still waiting to be sent afterwards.
    pub unsynced: u32,
    /// RFC 3339, UTC.
    pub at: String,
}

/// The last sync's outcome (managed by Tauri; the background loop and `sync_now` share it).
#[derive(Debug, Default)]
pub struct Syncer {
    last: tokio::sync::Mutex<Option<SyncStatus>>,
    /// One sync at a time (the loop's and a click's would only repeat each other's work).
    running: tokio::sync::Mutex<()>,
}

/// How often the background loop syncs when a target is set.
const SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

impl Syncer {
    /// Syncs the open event if it has a target; `None` when there is nothing to do.
    async fn sync_once(&self, app: &AppHandle, shell: &Shell) -> Option<SyncStatus> {
        let _one_at_a_time = self.running.lock().await;
        let sales = sales(shell).await.ok()?;
        let target = sales.sync_target().await.ok().flatten()?;
        let outcome = async {
            let shared = Shared::connect(
                &target.url,
                &target.festival,
                std::time::Duration::from_secs(5),
            )
            .await?;
            sales.sync(&shared, 500, |_| {}).await
        }
        .await;
        let at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let unsynced = sales.unsynced().await.unwrap_or(0);
        let status = match outcome {
            Ok(report) => {
                if report.pulled > 0 || report.catalog_changes > 0 {
                    changed(app, None);
                }
                SyncStatus {
                    ok: true,
                    message: format!(
                        "{} sent, {} received from other booths",
                        report.pushed, report.pulled
                    ),
                    report: Some(report),
                    unsynced,
                    at,
                }
            }
            Err(e) => SyncStatus {
                ok: false,
                message: e.to_string(),
                report: None,
                unsynced,
                at,
            },
        };
        if let Err(e) = status.emit(app) {
            tracing::warn!(error = %e, "could not send the sync status");
        }
        *self.last.lock().await = Some(status.clone());
        Some(status)
    }

    /// Syncs every [`SYNC_EVERY`] for the life of the app.
    pub fn start(app: AppHandle) {
        tauri::async_runtime::spawn(async move {
            loop {
                tokio::time::sleep(SYNC_EVERY).await;
                let (syncer, shell) = (app.state::<Syncer>(), app.state::<Shell>());
                syncer.sync_once(&app, &shell).await;
            }
        });
    }
}

/// This booth's name, where it syncs and the last outcome.
#[tauri::command]
#[specta::specta]
pub async fn sync_settings(
    shell: State<'_, Shell>,
    syncer: State<'_, Syncer>,
) -> Result<SyncSettings, AppError> {
    let sales = sales(&shell).await?;
    Ok(SyncSettings {
        booth: sales.booth().to_owned(),
        target: sales.sync_target().await?,
        last: syncer.last.lock().await.clone(),
        unsynced: sales.unsynced().await?,
    })
}

/// Sets (or clears, with null) where this booth syncs.
#[tauri::command]
#[specta::specta]
pub async fn set_sync_target(
    shell: State<'_, Shell>,
    target: Option<SyncTarget>,
) -> Result<(), AppError> {
    Ok(sales(&shell)
        .await?
        .set_sync_target(target.as_ref())
        .await?)
}

/// Syncs now (the background loop does it every 20 s).
#[tauri::command]
#[specta::specta]
pub async fn sync_now(
    app: AppHandle,
    shell: State<'_, Shell>,
    syncer: State<'_, Syncer>,
) -> Result<SyncStatus, AppError> {
    syncer
        .sync_once(&app, &shell)
        .await
        .ok_or_else(|| AppError::new("invalid", "set the shared database and festival first"))
}
