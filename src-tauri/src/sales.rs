//! Glue for the Sell and Dashboard screens: the open event's sales (`popbooth_sales`) at
//! this booth, receipts with the QR code of the order's download link (`popbooth_delivery`),
//! and a `SalesChanged` event after every change so that the Dashboard updates live.

use popbooth_sales::{
    CatalogImport, Coupon, Item, Kpis, NewItem, OrderSummary, PaymentMethod, Receipt, Sale, Sales,
    SalesError,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use tauri_specta::Event as _;

use crate::{AppError, Shell};

/// What the Sell screen offers.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SalesCatalog {
    /// This booth's name (its sales carry it).
    pub booth: String,
    pub items: Vec<CatalogEntry>,
    pub coupons: Vec<Coupon>,
}

/// An item and the units left of it (`None`: unlimited).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CatalogEntry {
    pub item: Item,
    #[specta(type = Option<i32>)]
    pub left: Option<i64>,
}

/// A receipt as the Sell screen shows it: with the download link and its QR code.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ReceiptView {
    pub receipt: Receipt,
    /// The order's download page on the venue network, and its QR code (SVG).
    pub url: Option<String>,
    pub qr_svg: Option<String>,
}

/// Sent after a sale, payment, refund, void or catalogue change.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SalesChanged {
    /// The order that changed, if one did.
    pub order_id: Option<String>,
}

impl From<SalesError> for AppError {
    fn from(e: SalesError) -> Self {
        let kind = match &e {
            // Not recorded, as a sale of nothing left.
            SalesError::SoldOut { .. } | SalesError::NoQuota { .. } => "sold_out",
            SalesError::Coupon { .. } => "coupon",
            SalesError::UnknownItem(_) | SalesError::Invalid(_) => "invalid",
            SalesError::Db(_) | SalesError::Corrupt(_) | SalesError::Commit(_) => "store",
            SalesError::Shared(_) => "sync",
        };
        AppError::new(kind, e.to_string())
    }
}

pub(crate) async fn sales(shell: &Shell) -> Result<Sales, AppError> {
    let event = shell.event("sales are kept in it").await?;
    Ok(Sales::open(&event).await?)
}

pub(crate) fn changed(app: &AppHandle, order_id: Option<&str>) {
    let event = SalesChanged {
        order_id: order_id.map(str::to_owned),
    };
    if let Err(e) = event.emit(app) {
        tracing::warn!(error = %e, "could not tell the UI that sales changed");
    }
}

fn view(receipt: Receipt) -> ReceiptView {
    let url = receipt
        .link
        .as_ref()
        .map(|l| popbooth_delivery::order_url(popbooth_delivery::lan_address(), &l.token));
    let qr_svg = url.as_deref().and_then(popbooth_delivery::qr_svg);
    ReceiptView {
        receipt,
        url,
        qr_svg,
    }
}

/// The catalogue with the units left, and the coupon codes.
#[tauri::command]
#[specta::specta]
pub async fn sales_catalog(shell: State<'_, Shell>) -> Result<SalesCatalog, AppError> {
    let sales = sales(&shell).await?;
    let items = sales
        .items_with_stock()
        .await?
        .into_iter()
        .map(|(item, left)| CatalogEntry { item, left })
        .collect();
    Ok(SalesCatalog {
        booth: sales.booth().to_owned(),
        items,
        coupons: sales.coupons().await?,
    })
}

/// Adds an item to the catalogue.
#[tauri::command]
#[specta::specta]
pub async fn sales_add_item(
    app: AppHandle,
    shell: State<'_, Shell>,
    item: NewItem,
) -> Result<Item, AppError> {
    let item = sales(&shell).await?.add_item(item).await?;
    changed(&app, None);
    Ok(item)
}

/// Adds a coupon code, or changes the one with its code.
#[tauri::command]
#[specta::specta]
pub async fn sales_put_coupon(
    app: AppHandle,
    shell: State<'_, Shell>,
    coupon: Coupon,
) -> Result<(), AppError> {
    sales(&shell).await?.put_coupon(&coupon).await?;
    changed(&app, None);
    Ok(())
}

/// Imports a catalogue file (JSON or CSV, as exported).
#[tauri::command]
#[specta::specta]
pub async fn sales_import_catalog(
    app: AppHandle,
    shell: State<'_, Shell>,
    path: String,
) -> Result<CatalogImport, AppError> {
    let text = tokio::fs::read_to_string(&path)
        .await
        .map_err(|e| AppError::new("io", format!("{path}: {e}")))?;
    let sales = sales(&shell).await?;
    let report = if path.to_lowercase().ends_with(".csv") {
        sales.import_catalog_csv(&text).await?
    } else {
        sales.import_catalog(&text).await?
    };
    changed(&app, None);
    Ok(report)
}

/// Records a sale (on disk before it returns); a retry with the same key gets the first
/// receipt.
#[tauri::command]
#[specta::specta]
pub async fn sell(
    app: AppHandle,
    shell: State<'_, Shell>,
    sale: Sale,
) -> Result<ReceiptView, AppError> {
    let receipt = sales(&shell).await?.sell(&sale).await?;
    changed(&app, Some(&receipt.order_id));
    Ok(view(receipt))
}

/// What a sale would come to (the cart's total), priced by the same code as `sell`, with
/// nothing written.
#[tauri::command]
#[specta::specta]
pub async fn quote_sale(shell: State<'_, Shell>, sale: Sale) -> Result<Receipt, AppError> {
    Ok(sales(&shell).await?.quote(&sale).await?)
}

/// Takes a payment (all that is due when `amount_minor` is null) on an open order.
#[tauri::command]
#[specta::specta]
pub async fn pay_order(
    app: AppHandle,
    shell: State<'_, Shell>,
    order_id: String,
    method: PaymentMethod,
    amount_minor: Option<u32>,
    idempotency_key: String,
) -> Result<ReceiptView, AppError> {
    let receipt = sales(&shell)
        .await?
        .pay(
            &order_id,
            &method,
            amount_minor.map(i64::from),
            &idempotency_key,
        )
        .await?;
    changed(&app, Some(&order_id));
    Ok(view(receipt))
}

/// Gives money back on an order.
#[tauri::command]
#[specta::specta]
pub async fn refund_order(
    app: AppHandle,
    shell: State<'_, Shell>,
    order_id: String,
    amount_minor: u32,
    reason: String,
    idempotency_key: String,
) -> Result<ReceiptView, AppError> {
    let receipt = sales(&shell)
        .await?
        .refund(
            &order_id,
            i64::from(amount_minor),
            &reason,
            &idempotency_key,
        )
        .await?;
    changed(&app, Some(&order_id));
    Ok(view(receipt))
}

/// Cancels an unpaid order; its units go back on offer.
#[tauri::command]
#[specta::specta]
pub async fn void_order(
    app: AppHandle,
    shell: State<'_, Shell>,
    order_id: String,
    reason: String,
    idempotency_key: String,
) -> Result<ReceiptView, AppError> {
    let receipt = sales(&shell)
        .await?
        .void(&order_id, &reason, &idempotency_key)
        .await?;
    changed(&app, Some(&order_id));
    Ok(view(receipt))
}

/// An order's receipt.
#[tauri::command]
#[specta::specta]
pub async fn order_receipt(
    shell: State<'_, Shell>,
    order_id: String,
) -> Result<ReceiptView, AppError> {
    Ok(view(sales(&shell).await?.receipt(&order_id).await?))
}

/// The latest orders, newest first.
#[tauri::command]
#[specta::specta]
pub async fn recent_orders(
    shell: State<'_, Shell>,
    limit: u32,
) -> Result<Vec<OrderSummary>, AppError> {
    Ok(sales(&shell).await?.recent_orders(limit).await?)
}

/// The Dashboard's numbers and charts.
#[tauri::command]
#[specta::specta]
pub async fn sales_kpis(shell: State<'_, Shell>) -> Result<Kpis, AppError> {
    Ok(sales(&shell).await?.kpis().await?)
}
