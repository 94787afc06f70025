//! `popbooth sales report` (the event's KPIs, or its orders as CSV), `popbooth sales catalog
//! import|export` (JSON or CSV), `popbooth sales sync` and `popbooth sales quota` (booths
//! sharing a PostgreSQL).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use popbooth_sales::{Sales, Shared};
use popbooth_store::Event;

use crate::output::outln;

/// Prints the KPIs of the event at `dir` (text, or one JSON object), or with `csv` every
/// order as formula-safe CSV.
pub async fn report(dir: &Path, csv: bool, json: bool) -> anyhow::Result<ExitCode> {
    let event = Event::open(dir).await?;
    let sales = Sales::open(&event).await?;
    if csv {
        let text = sales.orders_csv().await?;
        event.close().await;
        outln!("{}", text.trim_end());
        return Ok(ExitCode::SUCCESS);
    }
    let k = sales.kpis().await?;
    event.close().await;
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "ok": true, "kpis": k }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let money = |minor: i64| {
        format!(
            "{}.{:02} {}",
            minor / 100,
            (minor % 100).abs(),
            k.currency.as_deref().unwrap_or("")
        )
    };
    outln!("Sales of \"{}\"", event_name(dir));
    outln!("  revenue           {}", money(k.revenue_minor));
    outln!("  orders            {} ({} paid)", k.orders, k.paid_orders);
    outln!("  average order     {}", money(k.average_order_minor));
    outln!(
        "  conversion        {:.0}% of {} sessions",
        k.conversion * 100.0,
        k.sessions
    );
    outln!("  attach rate       {:.0}%", k.attach_rate * 100.0);
    outln!(
        "  repeat customers  {:.0}% (run more often above 12%)",
        k.repeat_customers * 100.0
    );
    if let Some((hour, n)) = k.orders_per_hour.first() {
        outln!("  busiest hour      {hour:02}:00 UTC, {n} orders");
    }
    Ok(ExitCode::SUCCESS)
}

fn event_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// `popbooth sales catalog import FILE --event DIR`.
pub async fn import_catalog(dir: &Path, file: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let event = Event::open(dir).await?;
    let sales = Sales::open(&event).await;
    let result = match sales {
        Ok(sales) if is_csv(file) => sales.import_catalog_csv(&text).await,
        Ok(sales) => sales.import_catalog(&text).await,
        Err(e) => Err(e),
    };
    event.close().await;
    let report = result?;
    outln!(
        "{} added, {} updated, {} coupons",
        report.added,
        report.updated,
        report.coupons
    );
    Ok(ExitCode::SUCCESS)
}

/// `popbooth sales catalog export --event DIR [--out FILE] [--csv]`.
pub async fn export_catalog(dir: &Path, out: Option<&Path>, csv: bool) -> anyhow::Result<ExitCode> {
    let csv = csv || out.is_some_and(is_csv);
    let event = Event::open(dir).await?;
    let result = match Sales::open(&event).await {
        Ok(sales) if csv => sales.export_catalog_csv().await,
        Ok(sales) => sales.export_catalog().await,
        Err(e) => Err(e),
    };
    event.close().await;
    let text = result?;
    match out {
        Some(path) => popbooth_store::write_atomically(path, text.as_bytes())?,
        None => outln!("{}", text.trim_end()),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The event folder
    #[arg(long)]
    event: PathBuf,
    /// postgres://user:password@host:port/database
    #[arg(long)]
    db: String,
    /// The festival's name in the shared database (the same at every booth)
    #[arg(long)]
    festival: String,
    /// Also send this booth's catalogue changes (prices, names, stock) to the other booths
    #[arg(long)]
    publish: bool,
    /// Events per round trip
    #[arg(long, default_value_t = 500)]
    batch: u32,
    /// Seconds to wait for the shared database
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Print one JSON object instead of text
    #[arg(long)]
    json: bool,
}

/// `popbooth sales sync`: exit 0 when in sync, 3 when the shared database is not reachable
/// (the sales are safe here; run it again later).
pub async fn sync(args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let event = Event::open(&args.event).await?;
    let result = sync_event(&event, args).await;
    event.close().await;
    let (booth, outcome) = result?;
    match outcome {
        Ok((report, published)) => {
            if args.json {
                let out = serde_json::json!({
                    "ok": true, "booth": booth, "festival": args.festival,
                    "published": published, "sync": report,
                });
                outln!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                outln!(
                    "{booth}: {} events pushed, {} pulled, {} catalogue changes{}",
                    report.pushed,
                    report.pulled,
                    report.catalog_changes,
                    if args.publish {
                        format!(", {published} items published")
                    } else {
                        String::new()
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if args.json {
                let out = serde_json::json!({
                    "ok": false, "booth": booth, "error": e.to_string(),
                });
                outln!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                eprintln!("{booth}: not synced, the sales are safe here: {e}");
            }
            Ok(ExitCode::from(3))
        }
    }
}

type SyncOutcome = Result<(popbooth_sales::SyncReport, u32), popbooth_sales::SalesError>;

async fn sync_event(event: &Event, args: &SyncArgs) -> anyhow::Result<(String, SyncOutcome)> {
    let sales = Sales::open(event).await?;
    let booth = sales.booth().to_owned();
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    bar.set_style(ProgressStyle::with_template("{spinner} {msg}")?);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message("connecting");
    let outcome = async {
        let shared =
            Shared::connect(&args.db, &args.festival, Duration::from_secs(args.timeout)).await?;
        let published = if args.publish {
            shared.publish_catalog(&sales).await?
        } else {
            0
        };
        let report = sales
            .sync(&shared, args.batch, |r| {
                bar.set_message(format!("{} pushed, {} pulled", r.pushed, r.pulled))
            })
            .await?;
        Ok((report, published))
    }
    .await;
    bar.finish_and_clear();
    Ok((booth, outcome))
}

/// `popbooth sales quota`.
pub async fn quota(
    db: &str,
    festival: &str,
    sku: &str,
    booth: &str,
    units: i64,
) -> anyhow::Result<ExitCode> {
    let shared = Shared::connect(db, festival, Duration::from_secs(10)).await?;
    shared.set_quota(sku, booth, units).await?;
    outln!("{booth} may sell {units} of {sku}");
    Ok(ExitCode::SUCCESS)
}
