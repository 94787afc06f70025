//! The sales benchmark's two sides: durable sales through [`Sales::sell`] (a sale = the order,
//! its line, its payment and their events in one transaction, `synchronous = FULL`), and the
//! same rows through plain sqlx statements with no domain layer (no lookups, no idempotency
//! check, no receipt), each on a fresh event.

use std::path::Path;
use std::time::Instant;

use popbooth_store::Event;

use crate::{
    CartLine, Customer, ItemKind, NewItem, PaymentMethod, Sale, Sales, SalesError, Tax, Till,
};

/// Sales per second of `n` sequential sales through the domain layer, in a new event at
/// `dir`.
pub async fn domain(dir: &Path, n: u32) -> Result<f64, SalesError> {
    let event = open(dir).await?;
    let sales = Sales::new(&event, "bench");
    let item = sales.add_item(item()).await?;
    let started = Instant::now();
    for i in 0..n {
        sales.sell(&bench_sale(i, &item.id)).await?;
    }
    let rate = f64::from(n) / started.elapsed().as_secs_f64();
    event.close().await;
    Ok(rate)
}

/// Sales per second of `n` sales from `tills` sellers at once through one [`Till`] (group
/// commit), in a new event at `dir`; and the transactions it took.
pub async fn domain_concurrent(dir: &Path, n: u32, tills: u32) -> Result<(f64, u64), SalesError> {
    let event = open(dir).await?;
    let sales = Sales::new(&event, "bench");
    let item = sales.add_item(item()).await?;
    let till = Till::start(sales, 64);
    let started = Instant::now();
    let mut sellers = tokio::task::JoinSet::new();
    for t in 0..tills {
        let (till, item) = (till.clone(), item.id.clone());
        sellers.spawn(async move {
            for i in (t..n).step_by(tills as usize) {
                till.sell(bench_sale(i, &item)).await?;
            }
            Ok::<(), SalesError>(())
        });
    }
    while let Some(done) = sellers.join_next().await {
        done.map_err(|e| SalesError::Commit(format!("a seller stopped: {e}")))??;
    }
    let rate = f64::from(n) / started.elapsed().as_secs_f64();
    let commits = till.commits();
    event.close().await;
    Ok((rate, commits))
}

fn bench_sale(i: u32, item_id: &str) -> Sale {
    Sale {
        idempotency_key: format!("bench-{i}"),
        customer: Customer {
            name: format!("Guest {i}"),
            ..Customer::default()
        },
        lines: vec![CartLine {
            item_id: item_id.to_owned(),
            qty: 1,
        }],
        shots: vec![format!("shot-{i}")],
        payment: Some(PaymentMethod::Cash {
            tendered_minor: 2000,
        }),
        ..Sale::default()
    }
}

/// Sales per second of the same rows written with plain statements, in a new event at `dir`.
pub async fn baseline(dir: &Path, n: u32) -> Result<f64, SalesError> {
    let event = open(dir).await?;
    let item = Sales::new(&event, "bench").add_item(item()).await?;
    let started = Instant::now();
    for i in 0..n {
        plain_sale(event.pool(), &item.id, i).await?;
    }
    let rate = f64::from(n) / started.elapsed().as_secs_f64();
    event.close().await;
    Ok(rate)
}

/// The plain statements from `tills` sellers at once, each sale its own transaction.
pub async fn baseline_concurrent(dir: &Path, n: u32, tills: u32) -> Result<f64, SalesError> {
    let event = open(dir).await?;
    let item = Sales::new(&event, "bench").add_item(item()).await?;
    let started = Instant::now();
    let mut sellers = tokio::task::JoinSet::new();
    for t in 0..tills {
        let (pool, item) = (event.pool().clone(), item.id.clone());
        sellers.spawn(async move {
            for i in (t..n).step_by(tills as usize) {
                plain_sale(&pool, &item, i).await?;
            }
            Ok::<(), SalesError>(())
        });
    }
    while let Some(done) = sellers.join_next().await {
        done.map_err(|e| SalesError::Commit(format!("a seller stopped: {e}")))??;
    }
    let rate = f64::from(n) / started.elapsed().as_secs_f64();
    event.close().await;
    Ok(rate)
}

/// One sale's rows through plain statements, in one transaction.
async fn plain_sale(pool: &sqlx::SqlitePool, item_id: &str, i: u32) -> Result<(), SalesError> {
    let order = uuid::Uuid::now_v7().to_string();
    let payment = uuid::Uuid::now_v7().to_string();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let events = [
        (
            "order_placed",
            Some(format!("bench-{i}")),
            r#"{"lines":[]}"#,
        ),
        ("payment_taken", None, r#"{"amount_minor":1200}"#),
    ];
    for (kind, key, body) in events {
        sqlx::query(
            "INSERT INTO sales_event (id, order_id, kind, body, idempotency_key, booth, at)
             VALUES (?, ?, ?, ?, ?, 'bench', '2026-01-01T00:00:00Z')",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&order)
        .bind(kind)
        .bind(body)
        .bind(key)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO sales_order (id, customer, currency, total_minor, tax_minor, status,
         created_at) VALUES (?, ?, 'EUR', 1200, 200, 'open', '2026-01-01T00:00:00Z')",
    )
    .bind(&order)
    .bind(format!(r#"{{"name":"Guest {i}"}}"#))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO sales_line (order_id, line, item_id, qty, unit_minor, total_minor)
         VALUES (?, 1, ?, 1, 1200, 1200)",
    )
    .bind(&order)
    .bind(item_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO sales_order_shot (order_id, shot_id) VALUES (?, ?)")
        .bind(&order)
        .bind(format!("shot-{i}"))
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE sales_stock SET sold = sold + 1 WHERE item_id = ?")
        .bind(item_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sales_payment (id, order_id, method, amount_minor, at)
         VALUES (?, ?, '{\"method\":\"cash\"}', 1200, '2026-01-01T00:00:00Z')",
    )
    .bind(&payment)
    .bind(&order)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE sales_order SET paid_minor = 1200, status = 'paid' WHERE id = ?")
        .bind(&order)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn open(dir: &Path) -> Result<Event, SalesError> {
    Event::create(dir, "Sales benchmark")
        .await
        .map_err(|e| SalesError::Invalid(format!("creating the benchmark event: {e}")))
}

fn item() -> NewItem {
    NewItem {
        sku: "PRINT-4X6".into(),
        name: "4x6 print".into(),
        kind: ItemKind::Print {
            size: "4x6".into(),
            copies: 1,
        },
        price_minor: 1200,
        currency: "EUR".into(),
        tax: Tax {
            rate_bp: 2000,
            inclusive: true,
        },
        stock: None,
    }
}
