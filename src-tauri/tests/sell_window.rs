//! The Sell screen in the real window (under Xvfb, driven through tauri-driver, as in
//! `window.rs`), against the real back end and a throw-away PostgreSQL.

mod support;

use std::time::{Duration, Instant};

use fantoccini::Locator;
use support::{Session, TestResult, screenshot, text_when, workspace};

/// The Sell screen against the real back end: a print sold in two taps (the item, then
/// Card), its receipt with the download QR, the Dashboard's revenue, the orders on disk, and
/// the festival sync set in Settings sending them to a real PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sell_a_print_in_the_real_window() -> TestResult {
    let out_dir = workspace().join("test-output");
    std::fs::create_dir_all(&out_dir)?;
    let tmp = tempfile::tempdir()?;
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home)?;
    let event_dir = tmp.path().join("Sell Fair");
    let event = popbooth_store::Event::create(&event_dir, "Sell Fair").await?;
    let sales = popbooth_sales::Sales::open(&event).await?;
    sales
        .import_catalog_csv(
            "sku,name,kind,price_minor,currency,tax_bp,tax_inclusive,stock\n\
             PRINT-4X6,4x6 print,print,1200,EUR,2000,true,\n\
             POSTER,Tour poster,drop,3000,EUR,2000,true,1\n",
        )
        .await?;
    event.close().await;

    let pg = popbooth_tests::Postgres::start()?;
    let dir = event_dir.to_string_lossy().into_owned();
    let session = Session::start(&home, &["--event", &dir]).await?;
    let (c, display) = (&session.client, session.display.clone());
    let result = async {
        text_when(c, "#event-name", |t| t == "Sell Fair").await?;
        c.find(Locator::Css("#nav-sell")).await?.click().await?;
        c.wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("#item-PRINT-4X6"))
            .await?
            .click()
            .await?;
        // The cart's total is the back end's quote (the UI prices nothing itself).
        let deadline = Instant::now() + Duration::from_secs(10);
        while c
            .find(Locator::Css("#cart-total"))
            .await?
            .attr("data-minor")
            .await?
            .as_deref()
            != Some("1200")
        {
            if Instant::now() > deadline {
                return Err("the cart never showed the quoted 12.00".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        c.find(Locator::Css("#pay-card")).await?.click().await?;
        text_when(c, "#receipt-status", |t| t == "paid").await?;
        let total = c.find(Locator::Css("#receipt-total")).await?;
        assert_eq!(total.attr("data-minor").await?.as_deref(), Some("1200"));
        // The QR code of the order's download link is drawn.
        c.find(Locator::Css("#receipt-qr svg")).await?;
        let url = c.find(Locator::Css("#receipt-url")).await?.text().await?;
        assert!(url.contains(":8737/o/"), "{url}");
        screenshot(&display, &out_dir.join("window-sell-receipt.png"))?;
        // The last poster sells once; the tile then says so.
        c.find(Locator::Css("#new-sale")).await?.click().await?;
        c.find(Locator::Css("#item-POSTER")).await?.click().await?;
        c.find(Locator::Css("#pay-comp")).await?.click().await?;
        text_when(c, "#receipt-status", |t| t == "paid").await?;
        c.find(Locator::Css("#new-sale")).await?.click().await?;
        text_when(c, "#item-POSTER", |t| t.contains("Sold out")).await?;
        // The Dashboard: one paid print is the revenue (the poster was given away).
        c.find(Locator::Css("#nav-dashboard"))
            .await?
            .click()
            .await?;
        text_when(c, "#kpi-orders", |t| t.contains('2')).await?;
        let revenue = c.find(Locator::Css("#kpi-revenue [data-minor]")).await?;
        assert_eq!(revenue.attr("data-minor").await?.as_deref(), Some("1200"));
        c.find(Locator::Css("#chart-revenue")).await?;
        screenshot(&display, &out_dir.join("window-dashboard.png"))?;
        // Settings: the festival's shared database; the two sales reach it.
        c.find(Locator::Css("#nav-settings")).await?.click().await?;
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("#sync-url"))
            .await?
            .send_keys(&pg.url())
            .await?;
        c.find(Locator::Css("#sync-festival"))
            .await?
            .send_keys("window-fest")
            .await?;
        c.find(Locator::Css("#sync-save")).await?.click().await?;
        text_when(c, "#sync-last", |t| t.contains("4 sent")).await?;
        text_when(c, "#sync-waiting", |t| {
            t.starts_with("Everything sold here")
        })
        .await?;
        screenshot(&display, &out_dir.join("window-festival-sync.png"))?;
        Ok::<(), Box<dyn std::error::Error>>(())
    }
    .await;
    session.end().await;
    result?;

    // On disk: two orders, the print paid by card.
    let event = popbooth_store::Event::open(&event_dir).await?;
    let orders: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT status, paid_minor, (SELECT method FROM sales_payment p WHERE p.order_id = o.id)
         FROM sales_order o ORDER BY id",
    )
    .fetch_all(event.pool())
    .await?;
    assert_eq!(orders.len(), 2, "{orders:?}");
    assert_eq!((orders[0].0.as_str(), orders[0].1), ("paid", 1200));
    assert!(orders[0].2.contains(r#""method":"card""#), "{orders:?}");
    assert!(orders[1].2.contains("complimentary"), "{orders:?}");
    event.close().await;
    let shared =
        popbooth_sales::Shared::connect(&pg.url(), "window-fest", Duration::from_secs(5)).await?;
    assert_eq!(shared.counts().await?, (4, 2));
    Ok(())
}
