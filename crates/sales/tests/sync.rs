//! Three booths and a real PostgreSQL (Debian's `postgresql`, a throw-away cluster in a temp
//! folder on a loopback port): they sell offline within their quotas, reconnect in any order
//! and end with the same totals; a push interrupted or done twice stores each event once.

use std::path::Path;
use std::time::Duration;

use popbooth_sales::{
    CartLine, Customer, ItemKind, NewItem, PaymentMethod, Sale, Sales, SalesError, Shared,
    SyncTarget, Tax,
};
use popbooth_store::Event;
use popbooth_tests::Postgres;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn catalogue() -> Vec<NewItem> {
    let eur = |sku: &str, name: &str, kind, price, stock| NewItem {
        sku: sku.into(),
        name: name.into(),
        kind,
        price_minor: price,
        currency: "EUR".into(),
        tax: Tax {
            rate_bp: 2000,
            inclusive: true,
        },
        stock,
    };
    vec![
        eur(
            "PRINT-4X6",
            "4x6 print",
            ItemKind::Print {
                size: "4x6".into(),
                copies: 1,
            },
            1200,
            None,
        ),
        eur("DROP-1", "Tour poster", ItemKind::Drop, 3000, Some(10)),
    ]
}

struct Booth {
    event: Event,
    sales: Sales,
}

async fn booth(root: &Path, name: &str) -> Result<Booth, Box<dyn std::error::Error>> {
    let event = Event::create(&root.join(name), name).await?;
    let sales = Sales::new(&event, name);
    Ok(Booth { event, sales })
}

async fn item_id(sales: &Sales, sku: &str) -> Result<String, Box<dyn std::error::Error>> {
    Ok(sales
        .items()
        .await?
        .into_iter()
        .find(|i| i.item.sku == sku)
        .ok_or(format!("no {sku}"))?
        .id)
}

/// Sells one unit of `sku` by card; whether it sold (sold out is an answer, not an error).
async fn sell_one(sales: &Sales, key: &str, sku: &str) -> Result<bool, Box<dyn std::error::Error>> {
    let sale = Sale {
        idempotency_key: key.into(),
        customer: Customer {
            name: format!("Guest {key}"),
            ..Customer::default()
        },
        lines: vec![CartLine {
            item_id: item_id(sales, sku).await?,
            qty: 1,
        }],
        payment: Some(PaymentMethod::Card {
            reference: key.into(),
        }),
        ..Sale::default()
    };
    match sales.sell(&sale).await {
        Ok(_) => Ok(true),
        Err(SalesError::SoldOut { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

async fn own_events(b: &Booth) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sales_event WHERE booth = ?")
        .bind(b.sales.booth())
        .fetch_one(b.event.pool())
        .await?;
    Ok(n)
}

#[tokio::test]
async fn three_booths_sell_offline_within_quotas_and_converge() -> TestResult {
    let pg = Postgres::start()?;
    let root = tempfile::tempdir()?;
    let a = booth(root.path(), "booth-a").await?;
    let b = booth(root.path(), "booth-b").await?;
    let c = booth(root.path(), "booth-c").await?;
    let url = pg.url();
    let connect = || Shared::connect(&url, "summer-fest", Duration::from_secs(3));
    let shared = connect().await?;

    // Booth A brings the catalogue and shares it; the 10 posters are split 4 / 3 / 3.
    for item in catalogue() {
        a.sales.add_item(item).await?;
    }
    a.sales.sync(&shared, 100, |_| {}).await?;
    // Shared, the drop is sold from quotas only: with none yet, none is sold, and it says so.
    let early = a
        .sales
        .sell(&Sale {
            idempotency_key: "a-early".into(),
            lines: vec![CartLine {
                item_id: item_id(&a.sales, "DROP-1").await?,
                qty: 1,
            }],
            ..Sale::default()
        })
        .await;
    assert!(
        matches!(early, Err(SalesError::NoQuota { .. })),
        "{early:?}"
    );
    shared.set_quota("DROP-1", "booth-a", 4).await?;
    shared.set_quota("DROP-1", "booth-b", 3).await?;
    assert!(
        shared.set_quota("DROP-1", "booth-c", 4).await.is_err(),
        "over the stock"
    );
    shared.set_quota("DROP-1", "booth-c", 3).await?;
    assert!(
        shared.set_quota("DROP-1", "booth-a", 3).await.is_err(),
        "quotas only grow"
    );
    for x in [&b, &c, &a] {
        x.sales.sync(&shared, 100, |_| {}).await?;
    }
    assert_eq!(
        item_id(&b.sales, "DROP-1").await?,
        item_id(&a.sales, "DROP-1").await?
    );

    // The festival's network goes down; every booth keeps selling.
    pg.down()?;
    assert!(matches!(connect().await, Err(SalesError::Shared(_))));
    let mut sold_drops = 0;
    let mut sold_prints = 0;
    for (x, tries) in [(&a, 6), (&b, 5), (&c, 2)] {
        for i in 0..tries {
            let key = format!("{}-drop-{i}", x.sales.booth());
            sold_drops += u32::from(sell_one(&x.sales, &key, "DROP-1").await?);
        }
        for i in 0..3 {
            let key = format!("{}-print-{i}", x.sales.booth());
            sold_prints += u32::from(sell_one(&x.sales, &key, "PRINT-4X6").await?);
        }
        assert!(
            matches!(
                x.sales.sync(&shared, 100, |_| {}).await,
                Err(SalesError::Shared(_))
            ),
            "the sync waits for the network"
        );
    }
    // A and B sold their whole quota and no more; C sold 2 of its 3.
    assert_eq!(sold_drops, 4 + 3 + 2);
    assert_eq!(sold_prints, 9);
    // A refund at A and a voided order at B are events like the rest.
    let refunded = a.sales.recent_orders(1).await?.remove(0);
    a.sales
        .refund(&refunded.order_id, 500, "smudge", "a-refund")
        .await?;
    let open = b
        .sales
        .sell(&Sale {
            idempotency_key: "b-open".into(),
            lines: vec![CartLine {
                item_id: item_id(&b.sales, "PRINT-4X6").await?,
                qty: 2,
            }],
            ..Sale::default()
        })
        .await?;
    b.sales
        .void(&open.order_id, "walked away", "b-void")
        .await?;

    // The network is back; the booths reconnect one after another, in no special order.
    pg.up()?;
    let shared = connect().await?;
    for x in [&c, &a, &b, &b, &c, &a] {
        x.sales.sync(&shared, 7, |_| {}).await?;
    }
    let pushed: i64 = own_events(&a).await? + own_events(&b).await? + own_events(&c).await?;
    let (events, orders) = shared.counts().await?;
    assert_eq!(events, pushed);
    assert_eq!(orders, 4 + 3 + 2 + 9 + 1);
    // Every booth now has the same truth.
    let revenue = (4 + 3 + 2) * 3000 + 9 * 1200 - 500;
    let mut seen = Vec::new();
    for x in [&a, &b, &c] {
        let k = x.sales.kpis().await?;
        assert_eq!(
            (k.revenue_minor, k.orders),
            (revenue, 18),
            "{}",
            x.sales.booth()
        );
        assert_eq!(
            x.sales
                .stock_left(&item_id(&x.sales, "DROP-1").await?)
                .await?,
            Some(1)
        );
        seen.push(x.sales.orders_csv().await?);
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "the order logs differ"
    );
    // A rebuild from the log, remote events included, gives the same numbers.
    c.sales.rebuild_projections().await?;
    assert_eq!(c.sales.orders_csv().await?, seen[0]);
    assert_eq!(c.sales.kpis().await?.revenue_minor, revenue);

    // C's last poster: its quota allows one more, then no more, whatever the others do.
    assert!(sell_one(&c.sales, "c-last", "DROP-1").await?);
    assert!(!sell_one(&c.sales, "c-more", "DROP-1").await?);
    for x in [a, b, c] {
        x.event.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn an_interrupted_or_repeated_push_stores_each_event_once() -> TestResult {
    let pg = Postgres::start()?;
    let root = tempfile::tempdir()?;
    let a = booth(root.path(), "booth-a").await?;
    for item in catalogue() {
        a.sales.add_item(item).await?;
    }
    let shared = Shared::connect(&pg.url(), "fest", Duration::from_secs(3)).await?;
    for i in 0..5 {
        sell_one(&a.sales, &format!("k{i}"), "PRINT-4X6").await?;
    }
    a.sales.sync(&shared, 100, |_| {}).await?;
    assert_eq!(shared.counts().await?, (10, 5));
    // Three more sales; the push stops after one batch of 4 of their 6 events...
    for i in 5..8 {
        sell_one(&a.sales, &format!("k{i}"), "PRINT-4X6").await?;
    }
    assert_eq!(a.sales.unsynced().await?, 6);
    assert_eq!(a.sales.push_batch(&shared, 4).await?, 4);
    assert_eq!(shared.counts().await?.0, 14);
    assert_eq!(a.sales.unsynced().await?, 2);
    // ...and the booth crashes after the shared database took the batch but before it noted
    // so: it will send everything again.
    sqlx::query("DELETE FROM sales_setting WHERE key = 'pushed_seq'")
        .execute(a.event.pool())
        .await?;
    let report = a.sales.sync(&shared, 4, |_| {}).await?;
    assert_eq!(report.pushed, 16);
    assert_eq!(shared.counts().await?, (16, 8));
    // Nothing left to send.
    assert_eq!(a.sales.sync(&shared, 4, |_| {}).await?.pushed, 0);
    // Where the booth syncs is kept in the event; a URL that is not postgres is refused.
    let target = SyncTarget {
        url: pg.url(),
        festival: "fest".into(),
    };
    a.sales.set_sync_target(Some(&target)).await?;
    assert_eq!(a.sales.sync_target().await?, Some(target));
    let http = SyncTarget {
        url: "http://example.org".into(),
        festival: "fest".into(),
    };
    assert!(a.sales.set_sync_target(Some(&http)).await.is_err());
    a.sales.set_sync_target(None).await?;
    assert_eq!(a.sales.sync_target().await?, None);
    a.event.close().await;
    Ok(())
}

#[tokio::test]
async fn units_sold_before_sharing_stay_out_of_the_other_booths_quotas() -> TestResult {
    let pg = Postgres::start()?;
    let root = tempfile::tempdir()?;
    let a = booth(root.path(), "booth-a").await?;
    for item in catalogue() {
        a.sales.add_item(item).await?;
    }
    // A sells 3 of the 10 posters before the festival shares anything.
    for i in 0..3 {
        assert!(sell_one(&a.sales, &format!("early-{i}"), "DROP-1").await?);
    }
    let shared = Shared::connect(&pg.url(), "fest", Duration::from_secs(3)).await?;
    a.sales.sync(&shared, 100, |_| {}).await?;
    // Shared now: A's 3 are its quota, so the others can have 7 at most, and A sells no
    // more until it is given more.
    assert!(!sell_one(&a.sales, "a-more", "DROP-1").await?);
    assert!(shared.set_quota("DROP-1", "booth-b", 8).await.is_err());
    shared.set_quota("DROP-1", "booth-b", 7).await?;
    assert!(shared.set_quota("DROP-1", "booth-a", 4).await.is_err());
    let b = booth(root.path(), "booth-b").await?;
    b.sales.sync(&shared, 100, |_| {}).await?;
    let mut sold = 0;
    for i in 0..9 {
        sold += u32::from(sell_one(&b.sales, &format!("b-{i}"), "DROP-1").await?);
    }
    assert_eq!(sold, 7);
    b.sales.sync(&shared, 100, |_| {}).await?;
    a.sales.sync(&shared, 100, |_| {}).await?;
    for x in [&a, &b] {
        let left = x
            .sales
            .stock_left(&item_id(&x.sales, "DROP-1").await?)
            .await?;
        assert_eq!(left, Some(0), "{}", x.sales.booth());
    }
    for x in [a, b] {
        x.event.close().await;
    }
    Ok(())
}
