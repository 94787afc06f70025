use crate::output::outln;
use std::path::Path;
use std::process::ExitCode;

use popbooth_store::{Event, StoreError};

/// `popbooth event create`: prints the new event (or, with `--json`, its [`EventInfo`]).
///
/// [`EventInfo`]: popbooth_store::EventInfo
pub async fn create(dir: &Path, name: &str, json: bool) -> anyhow::Result<ExitCode> {
    report(Event::create(dir, name).await, json, "Created").await
}

/// `popbooth event info`.
pub async fn info(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    report(Event::open(dir).await, json, "Event").await
}

async fn report(
    result: Result<Event, StoreError>,
    json: bool,
    verb: &str,
) -> anyhow::Result<ExitCode> {
    match result {
        Ok(event) => {
            let info = event.info().clone();
            event.close().await;
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "ok": true, "event": info })
                    )?
                );
            } else {
                outln!("{verb} \"{}\"", info.name);
                outln!("  folder   {}", info.path);
                outln!("  created  {}", info.created_at);
                outln!("  schema   version {}", info.schema_version);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if json {
                let error = serde_json::json!({ "kind": e.kind(), "message": e.to_string() });
                outln!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "ok": false, "error": error })
                    )?
                );
            } else {
                eprintln!("error: {e}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}
