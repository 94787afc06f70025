//! The Popbooth desktop shell. It only wires Tauri commands and events to the engine crates
//! (store, capture, portrait, sales, delivery); no logic of its own lives here. Commands and their types are
//! exported to `ui/src/bindings.ts` by tauri-specta (see the `bindings_are_fresh` test).

mod camera;
mod commands;
mod edit;
mod error;
mod hotfolder;
mod sales;
mod state;
mod sync;

use std::path::PathBuf;

use anyhow::Context;
use tauri::Manager;

pub use error::AppError;
pub use state::{AppState, Shell};

/// How the app was started (command-line flags).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Launch {
    /// Open (or create) the demo event on start.
    pub demo: bool,
    /// Open this event folder on start.
    pub event: Option<PathBuf>,
}

impl Launch {
    /// `--demo` and `--event DIR`; anything else is refused with a usage line.
    pub fn parse(args: impl IntoIterator<Item = String>) -> anyhow::Result<Launch> {
        let mut launch = Launch::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--demo" => launch.demo = true,
                "--event" => {
                    launch.event = Some(args.next().context("--event needs a folder")?.into())
                }
                other => anyhow::bail!(
                    "unknown argument {other:?}; usage: popbooth-app [--demo] [--event DIR]"
                ),
            }
        }
        Ok(launch)
    }
}

/// The commands and events the UI may use; also the source of `ui/src/bindings.ts`.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        // Commands take plain arguments and return values: one TS type per Rust type.
        .disable_serde_phases()
        .commands(tauri_specta::collect_commands![
            commands::app_state,
            commands::create_event,
            commands::open_event,
            commands::close_event,
            commands::forget_recent,
            commands::camera_check,
            commands::take_photos,
            commands::list_cameras,
            commands::select_camera,
            commands::camera_status,
            commands::live_view_start,
            commands::live_view_stop,
            commands::recording_start,
            commands::recording_stop,
            commands::recording_status,
            commands::encoders,
            commands::hot_folder_start,
            commands::hot_folder_stop,
            edit::edit_shots,
            edit::shot_thumbnail,
            edit::analyze_shot,
            edit::edit_choices,
            edit::apply_preset,
            edit::cancel_edit,
            edit::shot_preview,
            sales::sales_catalog,
            sales::sales_add_item,
            sales::sales_put_coupon,
            sales::sales_import_catalog,
            sales::sell,
            sales::quote_sale,
            sales::pay_order,
            sales::refund_order,
            sales::void_order,
            sales::order_receipt,
            sales::recent_orders,
            sales::sales_kpis,
            sync::sync_settings,
            sync::set_sync_target,
            sync::sync_now,
        ])
        .events(tauri_specta::collect_events![
            camera::CameraStatus,
            camera::RecordingStatus,
            hotfolder::HotFolderActivity,
            edit::EditProgress,
            sales::SalesChanged,
            sync::SyncStatus,
        ])
}

pub fn run() -> anyhow::Result<()> {
    let launch = Launch::parse(std::env::args().skip(1))?;
    // Some GPU drivers leave WebKitGTK windows blank with the DMA-BUF renderer.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        // SAFETY: set at start-up, before any other thread exists.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        };
    }
    let builder = specta_builder();
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(builder.invoke_handler())
        .manage(camera::Camera::default())
        .manage(hotfolder::HotFolder::default())
        .manage(edit::Studio::default())
        .manage(sync::Syncer::default())
        .register_asynchronous_uri_scheme_protocol(camera::SCHEME, |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            tauri::async_runtime::spawn(async move {
                let camera = app.state::<camera::Camera>();
                responder.respond(camera.respond(&request).await);
            });
        })
        .setup(move |app| {
            builder.mount_events(app);
            let _log_guard = state::init_logging(app.path().app_log_dir().ok());
            let shell = Shell::new(
                app.path().app_config_dir()?.join("recent-events.json"),
                default_events_dir(app.handle()),
                app.path().app_data_dir()?.join("Demo Event"),
            );
            let opened = tauri::async_runtime::block_on(shell.open_at_launch(&launch));
            if let Err(e) = opened {
                // The picker shows instead; the reason goes to the log.
                tracing::error!(error = %e, "could not open the event given at launch");
            }
            app.manage(shell);
            sync::Syncer::start(app.handle().clone());
            // Keep the log writer alive for the life of the app.
            if let Some(guard) = _log_guard {
                app.manage(state::LogGuard(guard));
            }
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"))
        .context("the window could not start")?
        .run(|app, event| {
            // On the way out, a recording in progress gets its last packets and trailer and
            // the camera is released.
            if let tauri::RunEvent::Exit = event {
                app.state::<camera::Camera>().stop(app);
            }
        });
    Ok(())
}

/// `~/Documents/Popbooth` (or the home folder's `Popbooth` when there is no Documents).
fn default_events_dir(app: &tauri::AppHandle) -> PathBuf {
    app.path()
        .document_dir()
        .or_else(|_| app.path().home_dir())
        .unwrap_or_else(|_| PathBuf::from("."))
        .join("Popbooth")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launch_flags_parse() -> anyhow::Result<()> {
        assert_eq!(Launch::parse(Vec::<String>::new())?, Launch::default());
        let l = Launch::parse(["--demo".to_owned(), "--event".to_owned(), "/x".to_owned()])?;
        assert!(l.demo);
        assert_eq!(l.event, Some(PathBuf::from("/x")));
        assert!(Launch::parse(["--event".to_owned()]).is_err());
        assert!(Launch::parse(["--nope".to_owned()]).is_err());
        Ok(())
    }

    /// Writes `ui/src/bindings.ts` from the Rust commands and types. CI fails when the
    /// committed file differs afterwards (`git diff --exit-code`), so it can never go stale.
    #[test]
    fn bindings_are_fresh() -> anyhow::Result<()> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
        specta_builder()
            .export(
                specta_typescript::Typescript::default().header("// Generated from the Rust commands in src-tauri by tauri-specta.\n/* eslint-disable */"),
                &path,
            )
            .map_err(|e| anyhow::anyhow!("exporting bindings: {e}"))?;
        let text = std::fs::read_to_string(&path)?;
        assert!(text.contains("createEvent") && text.contains("export type EventInfo"));
        Ok(())
    }
}
