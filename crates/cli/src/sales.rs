//! `popbooth sales report` (the event's KPIs, or its orders as CSV) and `popbooth sales
//! catalog import|export`.

use std::path::Path;
use std::process::ExitCode;

use popbooth_sales::Sales;
use popbooth_store::Event;

use crate::output::outln;

/// Prints the KPIs of the event at `dir` (text, or one JSON object), or with `csv` every
/// order as formula-safe CSV.
pub async fn report(dir: &Path, csv: bool, json: bool) -> anyhow::Result<ExitCode> {
    let event = Event::open(dir).await?;
    let sales = Sales::new(&event, "cli");
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

/// `popbooth sales catalog import FILE --event DIR`.
pub async fn import_catalog(dir: &Path, file: &Path) -> anyhow::Result<ExitCode> {
    let json = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let event = Event::open(dir).await?;
    let result = Sales::new(&event, "cli").import_catalog(&json).await;
    event.close().await;
    let report = result?;
    outln!("{} added, {} updated", report.added, report.updated);
    Ok(ExitCode::SUCCESS)
}

/// `popbooth sales catalog export --event DIR [--out FILE]`.
pub async fn export_catalog(dir: &Path, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let event = Event::open(dir).await?;
    let result = Sales::new(&event, "cli").export_catalog().await;
    event.close().await;
    let json = result?;
    match out {
        Some(path) => popbooth_store::write_atomically(path, json.as_bytes())?,
        None => outln!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
