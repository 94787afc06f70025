//! Sales against a real event database: receipts, retries, the last unit, rebuilding the
//! projections, and sales that survive kill -9.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use popbooth_sales::{
    CartLine, Coupon, Customer, Discount, ItemKind, NewItem, PaymentMethod, Receipt, Sale, Sales,
    SalesError, Tax, Till,
};
use popbooth_store::Event;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn print(stock: Option<i64>) -> NewItem {
    NewItem {
        sku: if stock.is_some() {
            "DROP-1"
        } else {
            "PRINT-4X6"
        }
        .into(),
        name: if stock.is_some() {
            "Tour poster"
        } else {
            "4x6 print"
        }
        .into(),
        kind: if stock.is_some() {
            ItemKind::Drop
        } else {
            ItemKind::Print {
                size: "4x6".into(),
                copies: 1,
            }
        },
        price_minor: 1200,
        currency: "EUR".into(),
        tax: Tax {
            rate_bp: 2000,
            inclusive: true,
        },
        stock,
    }
}

fn sale(key: &str, item_id: &str, qty: u32, payment: Option<PaymentMethod>) -> Sale {
    Sale {
        idempotency_key: key.into(),
        customer: Customer {
            name: "Zoë Ångström".into(),
            email: Some("zoe@example.com".into()),
            ..Customer::default()
        },
        lines: vec![CartLine {
            item_id: item_id.into(),
            qty,
        }],
        shots: vec!["shot-1".into()],
        payment,
        ..Sale::default()
    }
}

async fn count(event: &Event, table: &str) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(event.pool())
        .await?;
    Ok(n)
}

#[tokio::test]
async fn a_cash_sale_is_priced_taxed_and_a_retry_changes_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let event = Event::create(&dir.path().join("Fair"), "Fair").await?;
    let sales = Sales::new(&event, "booth-a");
    let item = sales.add_item(print(None)).await?;
    let cash = PaymentMethod::Cash {
        tendered_minor: 5000,
    };
    let receipt = sales
        .sell(&sale("tap-1", &item.id, 2, Some(cash.clone())))
        .await?;
    assert_eq!(receipt.total_minor, 2400);
    assert_eq!(receipt.tax_minor, 400);
    assert_eq!(receipt.paid_minor, 2400);
    assert_eq!(receipt.change_minor, 2600);
    assert_eq!(receipt.status, "paid");
    assert!(!receipt.replayed);
    // The double tap: the same key gives the same receipt, and no second order or payment.
    let again = sales.sell(&sale("tap-1", &item.id, 2, Some(cash))).await?;
    assert!(again.replayed);
    assert_eq!(again.order_id, receipt.order_id);
    assert_eq!(again.link, receipt.link);
    // The download link: 256 random bits, living 24 hours by default.
    let link = receipt.link.ok_or("no link")?;
    assert_eq!(link.token.len(), 64);
    assert!(link.token.chars().all(|c| c.is_ascii_hexdigit()));
    let expires = time::OffsetDateTime::parse(
        &link.expires_at,
        &time::format_description::well_known::Rfc3339,
    )?;
    let hours = (expires - time::OffsetDateTime::now_utc()).whole_minutes();
    assert!((23 * 60..=24 * 60).contains(&hours), "{hours} minutes");
    assert_eq!(count(&event, "sales_order").await?, 1);
    assert_eq!(count(&event, "sales_payment").await?, 1);
    assert_eq!(count(&event, "sales_event").await?, 2);
    // An open order (no payment yet), and bad input refused.
    let open = sales.sell(&sale("tap-2", &item.id, 1, None)).await?;
    assert_eq!((open.status.as_str(), open.paid_minor), ("open", 0));
    assert!(matches!(
        sales.sell(&sale("tap-3", "no-such-item", 1, None)).await,
        Err(SalesError::UnknownItem(_))
    ));
    assert!(matches!(
        sales.sell(&sale("", &item.id, 1, None)).await,
        Err(SalesError::Invalid(_))
    ));
    event.close().await;
    Ok(())
}

#[tokio::test]
async fn two_sales_racing_for_the_last_unit_one_wins() -> TestResult {
    let dir = tempfile::tempdir()?;
    let event = Event::create(&dir.path().join("Drop"), "Drop").await?;
    let sales = Sales::new(&event, "booth-a");
    let drop = sales.add_item(print(Some(3))).await?;
    sales
        .sell(&sale(
            "first-two",
            &drop.id,
            2,
            Some(PaymentMethod::Complimentary),
        ))
        .await?;
    assert_eq!(sales.stock_left(&drop.id).await?, Some(1));
    let card = |r: &str| {
        Some(PaymentMethod::Card {
            reference: r.into(),
        })
    };
    // Two tasks (two connections of the pool), as two taps on two screens.
    let (first, second) = (
        sale("racer-a", &drop.id, 1, card("A")),
        sale("racer-b", &drop.id, 1, card("B")),
    );
    let (sa, sb) = (sales.clone(), sales.clone());
    let (a, b) = tokio::join!(
        tokio::spawn(async move { sa.sell(&first).await }),
        tokio::spawn(async move { sb.sell(&second).await })
    );
    let (a, b) = (a?, b?);
    let wins = [a.is_ok(), b.is_ok()].iter().filter(|w| **w).count();
    assert_eq!(wins, 1, "{a:?} {b:?}");
    // The winner's double tap gets its receipt back, not "sold out", though none is left.
    let (winner, key) = if a.is_ok() {
        (&a, "racer-a")
    } else {
        (&b, "racer-b")
    };
    let again = sales.sell(&sale(key, &drop.id, 1, card("again"))).await?;
    assert!(again.replayed);
    assert_eq!(
        Some(&again.order_id),
        winner.as_ref().ok().map(|r| &r.order_id)
    );
    let loser = if a.is_ok() { b } else { a };
    assert!(
        matches!(
            loser,
            Err(SalesError::SoldOut {
                left: 0,
                wanted: 1,
                ..
            })
        ),
        "{loser:?}"
    );
    assert_eq!(sales.stock_left(&drop.id).await?, Some(0));
    // Asking for more than is left takes nothing.
    assert!(
        sales
            .sell(&sale("greedy", &drop.id, 5, None))
            .await
            .is_err()
    );
    assert_eq!(count(&event, "sales_order").await?, 2);
    event.close().await;
    Ok(())
}

/// Every projection row, as text, in a stable order.
async fn projections(event: &Event) -> Result<Vec<String>, sqlx::Error> {
    let mut out = Vec::new();
    for query in [
        "SELECT id || customer || currency || total_minor || tax_minor || paid_minor || status || created_at || booth || discount_minor FROM sales_order ORDER BY id",
        "SELECT order_id || line || item_id || qty || unit_minor || total_minor || discount_minor FROM sales_line ORDER BY order_id, line",
        "SELECT id || order_id || method || amount_minor || at || change_minor FROM sales_payment ORDER BY id",
        "SELECT order_id || shot_id FROM sales_order_shot ORDER BY order_id, shot_id",
        "SELECT item_id || sold FROM sales_stock ORDER BY item_id",
        "SELECT item_id || units || sold FROM sales_quota ORDER BY item_id",
        "SELECT code || used FROM sales_coupon ORDER BY code",
    ] {
        let rows: Vec<(String,)> = sqlx::query_as(query).fetch_all(event.pool()).await?;
        out.extend(rows.into_iter().map(|(r,)| r));
    }
    Ok(out)
}

#[tokio::test]
async fn the_projections_rebuilt_from_the_events_are_the_same() -> TestResult {
    let dir = tempfile::tempdir()?;
    let event = Event::create(&dir.path().join("Fair"), "Fair").await?;
    let sales = Sales::new(&event, "booth-a");
    let printed = sales.add_item(print(None)).await?;
    let drop = sales.add_item(print(Some(20))).await?;
    for i in 0..20 {
        let item = if i % 3 == 0 { &drop.id } else { &printed.id };
        let payment = match i % 4 {
            0 => Some(PaymentMethod::Cash {
                tendered_minor: 2000,
            }),
            1 => Some(PaymentMethod::PaymentLink {
                reference: format!("link-{i}"),
            }),
            2 => None,
            _ => Some(PaymentMethod::Complimentary),
        };
        sales
            .sell(&sale(&format!("k{i}"), item, 1 + i % 2, payment))
            .await?;
    }
    // A refund and a void are events too.
    let paid = sales
        .sell(&sale(
            "r",
            &printed.id,
            1,
            Some(PaymentMethod::Complimentary),
        ))
        .await?;
    sales
        .refund(&paid.order_id, 500, "smudged", "refund-r")
        .await?;
    let open = sales.sell(&sale("v", &drop.id, 2, None)).await?;
    sales
        .void(&open.order_id, "changed her mind", "void-v")
        .await?;
    // So are a coupon, a discount and a payment in two parts.
    sales
        .put_coupon(&Coupon {
            code: "fair10".into(),
            discount: Discount::Percent { bp: 1000 },
            max_uses: None,
            valid_until: None,
        })
        .await?;
    let parts = sales
        .sell(&Sale {
            coupon: Some("FAIR10".into()),
            discount: Some(Discount::Amount { minor: 100 }),
            ..sale("c", &printed.id, 2, None)
        })
        .await?;
    let cash = PaymentMethod::Cash {
        tendered_minor: 1000,
    };
    sales.pay(&parts.order_id, &cash, None, "c-1").await?;
    sales.pay(&parts.order_id, &cash, None, "c-2").await?;
    let before = projections(&event).await?;
    assert!(before.len() > 40);
    sales.rebuild_projections().await?;
    assert_eq!(projections(&event).await?, before);
    event.close().await;
    Ok(())
}

/// The child of the kill test: sells until killed, printing each key once `sell` returned.
#[tokio::test]
async fn child_sells_until_killed() -> TestResult {
    let Ok(dir) = std::env::var("POPBOOTH_SALES_CHILD") else {
        return Ok(()); // Only as the kill test's child.
    };
    let start: u32 = std::env::var("POPBOOTH_SALES_FROM")?.parse()?;
    let event = Event::open(std::path::Path::new(&dir)).await?;
    let sales = Sales::new(&event, "booth-a");
    let item = sales.items().await?.into_iter().next().ok_or("no item")?;
    // Three sellers through a till (group commit) beside one selling alone.
    let till = Till::start(sales.clone(), 64);
    for t in 0..3 {
        let (till, item) = (till.clone(), item.id.clone());
        tokio::spawn(async move {
            for j in 0.. {
                let key = format!("till-{start}-{t}-{j}");
                let paid = Some(PaymentMethod::Complimentary);
                if till.sell(sale(&key, &item, 1, paid)).await.is_ok() {
                    println!("ACK {key}");
                }
            }
        });
    }
    for i in start.. {
        let key = format!("sale-{i}");
        sales
            .sell(&sale(&key, &item.id, 1, Some(PaymentMethod::Complimentary)))
            .await?;
        println!("ACK {key}");
    }
    Ok(())
}

#[tokio::test]
async fn acknowledged_sales_survive_kill_9() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("Fair");
    let event = Event::create(&path, "Fair").await?;
    Sales::new(&event, "booth-a").add_item(print(None)).await?;
    event.close().await;
    let mut acknowledged = HashSet::new();
    let mut next = 0u32;
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .subsec_nanos()
        | 1;
    while acknowledged.len() < 1000 {
        // Kill after a random number of acknowledgements (xorshift; no dependency for this).
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let kill_after = 20 + seed % 180;
        let mut child = Command::new(std::env::current_exe()?)
            .args([
                "--exact",
                "child_sells_until_killed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("POPBOOTH_SALES_CHILD", &path)
            .env("POPBOOTH_SALES_FROM", next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut seen = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if let Some(key) = line.strip_prefix("ACK ") {
                acknowledged.insert(key.to_owned());
                seen += 1;
                if seen >= kill_after {
                    child.kill()?; // SIGKILL: no destructor, no flush, mid-transaction.
                    break;
                }
            }
        }
        child.wait()?;
        // The child may have sold a few more than it acknowledged; none is lost or doubled.
        next += 1000;
    }
    // Both ways of selling were cut by the kills: alone, and through the till.
    assert!(acknowledged.iter().any(|k| k.starts_with("till-")));
    assert!(acknowledged.iter().any(|k| k.starts_with("sale-")));
    let event = Event::open(&path).await?;
    let (ok,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(event.pool())
        .await?;
    assert_eq!(ok, "ok");
    let keys: Vec<(String,)> =
        sqlx::query_as("SELECT idempotency_key FROM sales_event WHERE idempotency_key IS NOT NULL")
            .fetch_all(event.pool())
            .await?;
    let stored: HashSet<String> = keys.iter().map(|(k,)| k.clone()).collect();
    assert_eq!(stored.len(), keys.len(), "a sale was doubled");
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    // Every stored sale is whole: one order with its line and payment.
    let orders = count(&event, "sales_order").await?;
    assert_eq!(orders, keys.len() as i64);
    assert_eq!(count(&event, "sales_line").await?, orders);
    assert_eq!(count(&event, "sales_payment").await?, orders);
    event.close().await;
    Ok(())
}

#[tokio::test]
async fn kpis_count_revenue_conversion_attach_and_repeat_customers() -> TestResult {
    use popbooth_store::{NewShot, SessionKind};
    let dir = tempfile::tempdir()?;
    let event = Event::create(&dir.path().join("Fair"), "Fair").await?;
    let sales = Sales::new(&event, "booth-a");
    let item = sales.add_item(print(None)).await?;
    // Four capture sessions; Zoë buys in two of them (one order of 2 units), Ana in one.
    let mut shots = Vec::new();
    for i in 0..4u8 {
        let session = event.start_session(SessionKind::Single, 1).await?;
        let shot = event
            .add_shot(
                &session,
                1,
                NewShot {
                    source: "test",
                    width: 1,
                    height: 1,
                    extension: "jpg",
                    data: &[i; 4],
                },
            )
            .await?;
        shots.push(shot.id);
    }
    let buy = |key: &str, shot: &str, qty: u32, customer: Customer| Sale {
        shots: vec![shot.to_owned()],
        customer,
        ..sale(
            key,
            &item.id,
            qty,
            Some(PaymentMethod::Card {
                reference: key.to_owned(),
            }),
        )
    };
    let zoe = Customer {
        name: "Zoë".into(),
        email: Some("zoe@example.com".into()),
        ..Customer::default()
    };
    let ana = Customer {
        name: "=cmd|' /C calc'!A0".into(),
        ..Customer::default()
    };
    sales.sell(&buy("a", &shots[0], 2, zoe.clone())).await?;
    sales.sell(&buy("b", &shots[1], 1, zoe)).await?;
    sales.sell(&buy("c", &shots[2], 1, ana)).await?;
    let k = sales.kpis().await?;
    assert_eq!(k.orders, 3);
    assert_eq!(k.revenue_minor, 2400 + 1200 + 1200);
    assert_eq!(k.average_order_minor, 1600);
    assert_eq!(k.sessions, 4);
    assert!((k.conversion - 0.75).abs() < 1e-9, "{}", k.conversion);
    assert!(
        (k.attach_rate - 1.0 / 3.0).abs() < 1e-9,
        "{}",
        k.attach_rate
    );
    assert!(
        (k.repeat_customers - 0.5).abs() < 1e-9,
        "{}",
        k.repeat_customers
    );
    assert_eq!(k.orders_per_hour.iter().map(|h| h.1).sum::<u32>(), 3);
    // The charts: revenue per quarter hour adds up; the print is the top item.
    assert_eq!(
        k.revenue_over_time
            .iter()
            .map(|r| r.revenue_minor)
            .sum::<i64>(),
        4800
    );
    assert!(k.revenue_over_time[0].at.ends_with(":00Z"));
    let minute: u32 = k.revenue_over_time[0].at[14..16].parse()?;
    assert_eq!(minute % 15, 0);
    assert_eq!(
        (
            k.top_items[0].name.as_str(),
            k.top_items[0].units,
            k.top_items[0].revenue_minor
        ),
        ("4x6 print", 4, 4800)
    );
    // A give-away is an order but not revenue.
    sales
        .sell(&sale(
            "comp",
            &item.id,
            1,
            Some(PaymentMethod::Complimentary),
        ))
        .await?;
    let k = sales.kpis().await?;
    assert_eq!((k.orders, k.revenue_minor), (4, 4800));
    // The CSV keeps UTF-8 names and turns the formula into text.
    let csv = sales.orders_csv().await?;
    assert_eq!(csv.lines().count(), 5);
    assert!(
        csv.contains(",Zoë,zoe@example.com,2400,2400,EUR,paid"),
        "{csv}"
    );
    assert!(csv.contains(",'=cmd|' /C calc'!A0,"), "{csv}");
    event.close().await;
    Ok(())
}

#[tokio::test]
async fn a_catalogue_exported_imports_elsewhere_and_updates_by_sku() -> TestResult {
    let dir = tempfile::tempdir()?;
    let first = Event::create(&dir.path().join("A"), "A").await?;
    let a = Sales::new(&first, "booth-a");
    a.add_item(print(None)).await?;
    let drop = a.add_item(print(Some(5))).await?;
    let exported = a.export_catalog().await?;
    // Another event takes the whole catalogue.
    let second = Event::create(&dir.path().join("B"), "B").await?;
    let b = Sales::new(&second, "booth-b");
    let report = b.import_catalog(&exported).await?;
    assert_eq!((report.added, report.updated), (2, 0));
    let strip =
        |items: Vec<popbooth_sales::Item>| items.into_iter().map(|i| i.item).collect::<Vec<_>>();
    assert_eq!(strip(b.items().await?), strip(a.items().await?));
    // Re-importing with a new price updates by SKU; stock may not go under what is sold.
    a.sell(&sale("k", &drop.id, 3, None)).await?;
    let cheaper = exported.replace("1200", "900");
    assert_eq!(a.import_catalog(&cheaper).await?.updated, 2);
    assert!(a.items().await?.iter().all(|i| i.item.price_minor == 900));
    let too_few = cheaper.replace("\"stock\": 5", "\"stock\": 2");
    assert_ne!(too_few, cheaper, "the export carries the stock");
    assert!(matches!(
        a.import_catalog(&too_few).await,
        Err(SalesError::Invalid(_))
    ));
    assert!(matches!(
        a.import_catalog("{ nope").await,
        Err(SalesError::Invalid(_))
    ));
    first.close().await;
    second.close().await;
    Ok(())
}

#[tokio::test]
async fn refunds_and_voids_are_recorded_once_and_give_stock_back() -> TestResult {
    let dir = tempfile::tempdir()?;
    let event = Event::create(&dir.path().join("Fair"), "Fair").await?;
    let sales = Sales::new(&event, "booth-a");
    let drop = sales.add_item(print(Some(4))).await?;
    let card = Some(PaymentMethod::Card {
        reference: "T-1".into(),
    });
    let paid = sales.sell(&sale("paid", &drop.id, 1, card)).await?;
    // Part of it back, then the rest; the same key twice refunds once.
    let part = sales
        .refund(&paid.order_id, 200, "late", "refund-1")
        .await?;
    assert_eq!((part.paid_minor, part.status.as_str()), (1000, "open"));
    let again = sales
        .refund(&paid.order_id, 200, "late", "refund-1")
        .await?;
    assert!(again.replayed);
    assert_eq!(again.paid_minor, 1000);
    let all = sales
        .refund(&paid.order_id, 1000, "late", "refund-2")
        .await?;
    assert_eq!((all.paid_minor, all.status.as_str()), (0, "refunded"));
    assert!(
        sales
            .refund(&paid.order_id, 1, "more", "refund-3")
            .await
            .is_err()
    );
    // A paid order cannot be voided; an open one can, and its units go back.
    let open = sales.sell(&sale("open", &drop.id, 3, None)).await?;
    assert_eq!(sales.stock_left(&drop.id).await?, Some(0));
    let voided = sales.void(&open.order_id, "no", "void-1").await?;
    assert_eq!(voided.status, "void");
    assert_eq!(sales.stock_left(&drop.id).await?, Some(3));
    assert!(sales.void(&open.order_id, "no", "void-2").await.is_err());
    // Revenue counts what is kept: nothing (refunded in full), the void not at all.
    let k = sales.kpis().await?;
    assert_eq!((k.orders, k.revenue_minor), (1, 0));
    event.close().await;
    Ok(())
}

#[tokio::test]
async fn coupons_discounts_and_payments_in_parts() -> TestResult {
    let dir = tempfile::tempdir()?;
    let event = Event::create(&dir.path().join("Fair"), "Fair").await?;
    let sales = Sales::new(&event, "booth-a");
    let printed = sales.add_item(print(None)).await?;
    sales
        .put_coupon(&Coupon {
            code: "Early25".into(),
            discount: Discount::Percent { bp: 2500 },
            max_uses: Some(1),
            valid_until: Some("2999-01-01T01:00:00+01:00".into()),
        })
        .await?;
    sales
        .put_coupon(&Coupon {
            code: "GONE".into(),
            discount: Discount::Amount { minor: 500 },
            max_uses: None,
            valid_until: Some("2020-01-01T00:00:00Z".into()),
        })
        .await?;
    // A quote prices the sale exactly and writes nothing (the coupon is not used up).
    let quoted = sales
        .quote(&Sale {
            coupon: Some("early25".into()),
            ..sale("q1", &printed.id, 2, None)
        })
        .await?;
    assert_eq!((quoted.total_minor, quoted.discount_minor), (1800, 600));
    assert_eq!(quoted.link, None);
    assert_eq!(count(&event, "sales_order").await?, 0);
    assert_eq!(count(&event, "sales_event").await?, 0);
    // 2 x 12.00 less 25%: 18.00, of which 20% VAT (3.00); nothing paid yet.
    let open = sales
        .sell(&Sale {
            coupon: Some(" early25 ".into()),
            ..sale("s1", &printed.id, 2, None)
        })
        .await?;
    assert_eq!(
        (open.total_minor, open.discount_minor, open.tax_minor),
        (1800, 600, 300)
    );
    assert_eq!((open.status.as_str(), open.due_minor), ("open", 1800));
    // The coupon was for one order; the other one has expired; an unknown one is refused.
    for (code, reason) in [
        ("EARLY25", "has been used as often as it may"),
        ("gone", "has expired"),
        ("NOPE", "is not a code of this event"),
    ] {
        let refused = sales
            .sell(&Sale {
                coupon: Some(code.into()),
                ..sale(&format!("s-{code}"), &printed.id, 1, None)
            })
            .await;
        assert!(
            matches!(&refused, Err(SalesError::Coupon { reason: r, .. }) if *r == reason),
            "{code}: {refused:?}"
        );
    }
    assert_eq!(count(&event, "sales_order").await?, 1);
    // 10.00 on a card, then 20.00 cash for the 8.00 left: 12.00 change, paid.
    let card = PaymentMethod::Card {
        reference: "T-1".into(),
    };
    let part = sales.pay(&open.order_id, &card, Some(1000), "p1").await?;
    assert_eq!((part.status.as_str(), part.due_minor), ("open", 800));
    // A retried payment changes nothing; too much on a card is refused.
    assert_eq!(
        sales
            .pay(&open.order_id, &card, Some(1000), "p1")
            .await?
            .paid_minor,
        1000
    );
    assert!(
        sales
            .pay(&open.order_id, &card, Some(801), "p-over")
            .await
            .is_err()
    );
    let cash = PaymentMethod::Cash {
        tendered_minor: 2000,
    };
    let paid = sales.pay(&open.order_id, &cash, None, "p2").await?;
    assert_eq!(
        (
            paid.status.as_str(),
            paid.paid_minor,
            paid.due_minor,
            paid.change_minor
        ),
        ("paid", 1800, 0, 1200)
    );
    assert!(sales.pay(&open.order_id, &cash, None, "p3").await.is_err());
    assert_eq!(count(&event, "sales_payment").await?, 2);
    assert_eq!(
        sales.receipt(&open.order_id).await?,
        Receipt {
            replayed: false,
            ..paid
        }
    );
    event.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sellers_at_once_share_commits_and_never_oversell() -> TestResult {
    let dir = tempfile::tempdir()?;
    let event = Event::create(&dir.path().join("Fair"), "Fair").await?;
    let sales = Sales::new(&event, "booth-a");
    let drop = sales.add_item(print(Some(150))).await?;
    let till = Till::start(sales.clone(), 64);
    let mut sellers = tokio::task::JoinSet::new();
    for i in 0..200 {
        let (till, item) = (till.clone(), drop.id.clone());
        sellers.spawn(async move {
            let key = format!("buyer-{i}");
            let result = till
                .sell(sale(&key, &item, 1, Some(PaymentMethod::Complimentary)))
                .await;
            (key, result)
        });
    }
    let (mut sold, mut sold_out) = (HashSet::new(), 0);
    while let Some(done) = sellers.join_next().await {
        match done? {
            (key, Ok(receipt)) => {
                assert_eq!(receipt.status, "paid");
                sold.insert(key);
            }
            (_, Err(SalesError::SoldOut { .. })) => sold_out += 1,
            (key, Err(e)) => return Err(format!("{key}: {e}").into()),
        }
    }
    // Exactly the stock sold; every acknowledged sale is whole on disk; fewer commits than
    // sales (they shared fsyncs), and a sold-out sale in a batch left the others standing.
    assert_eq!((sold.len(), sold_out), (150, 50));
    assert_eq!(sales.stock_left(&drop.id).await?, Some(0));
    let keys: Vec<(String,)> =
        sqlx::query_as("SELECT idempotency_key FROM sales_event WHERE kind = 'order_placed'")
            .fetch_all(event.pool())
            .await?;
    assert_eq!(keys.into_iter().map(|(k,)| k).collect::<HashSet<_>>(), sold);
    assert_eq!(count(&event, "sales_payment").await?, 150);
    assert!(
        till.commits() < 200,
        "{} commits for 200 sales",
        till.commits()
    );
    // A sale retried through the till gets its first receipt back.
    let key = sold.iter().next().ok_or("nothing sold")?;
    let again = till
        .sell(sale(key, &drop.id, 1, Some(PaymentMethod::Complimentary)))
        .await?;
    assert!(again.replayed);
    event.close().await;
    Ok(())
}
