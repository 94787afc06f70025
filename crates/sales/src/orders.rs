//! Orders as events. A sale is one transaction that appends its events (`order_placed`,
//! `payment_taken`; later `refund_issued`, `order_voided`) with a time-ordered id and the
//! command's idempotency key, takes limited stock with a single guarded update, and writes
//! the projections read by the screens. The database is in WAL mode with
//! `synchronous = FULL` (the store opens it so): when `sell` returns, the sale survives a
//! crash and a power cut. A retried command (a double tap, a timeout) finds its key and gets
//! the first receipt back.

use serde::{Deserialize, Serialize};
use sqlx::{Sqlite, Transaction};

use crate::catalog::item_from_row;
use crate::{Sales, SalesError};

/// Who bought. Name only is fine; contact details and marketing consent are optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Customer {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// When the customer agreed to hear from the booth (RFC 3339), if they did.
    pub marketing_consent_at: Option<String>,
}

/// How a payment was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cash: what was handed over; the change is worked out.
    Cash { tendered_minor: i64 },
    /// An external card terminal's reference.
    Card { reference: String },
    /// A payment link's reference.
    PaymentLink { reference: String },
    /// Given away (a prize, a make-good).
    Complimentary,
}

/// One line of a cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CartLine {
    pub item_id: String,
    pub qty: u32,
}

/// A sale as the Sell screen sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Sale {
    /// Chosen by the client once per sale and sent again on a retry.
    pub idempotency_key: String,
    pub customer: Customer,
    pub lines: Vec<CartLine>,
    /// The shots the order is for.
    #[serde(default)]
    pub shots: Vec<String>,
    /// Taken now, in full or in part; `None` leaves the order open.
    pub payment: Option<PaymentMethod>,
}

/// A priced line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct OrderLine {
    pub item_id: String,
    pub name: String,
    pub qty: u32,
    pub unit_minor: i64,
    /// What the buyer pays for the line (tax included).
    pub total_minor: i64,
    pub tax_minor: i64,
}

/// The `order_placed` event's body: everything needed to rebuild the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OrderPlaced {
    customer: Customer,
    currency: String,
    lines: Vec<OrderLine>,
    shots: Vec<String>,
}

/// The `payment_taken` event's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PaymentTaken {
    payment_id: String,
    method: PaymentMethod,
    amount_minor: i64,
}

/// The `refund_issued` event's body (money back on an order; a payment row of minus it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RefundIssued {
    refund_id: String,
    amount_minor: i64,
    reason: String,
}

/// The `order_voided` event's body: the order is cancelled and its units go back on offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OrderVoided {
    reason: String,
}

/// What the customer gets once the sale is on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Receipt {
    pub order_id: String,
    pub lines: Vec<OrderLine>,
    pub currency: String,
    pub total_minor: i64,
    pub tax_minor: i64,
    pub paid_minor: i64,
    /// Cash change due.
    pub change_minor: i64,
    /// `paid` or `open`.
    pub status: String,
    /// True when this is the receipt of an earlier, identical command (a retry).
    pub replayed: bool,
}

impl Sales {
    /// Records `sale`: the order, its lines and its payment in one durable transaction.
    /// Limited items never go below zero: of two sales racing for the last unit, one wins
    /// and the other gets [`SalesError::SoldOut`]. Retrying with the same idempotency key
    /// returns the first receipt and changes nothing.
    pub async fn sell(&self, sale: &Sale) -> Result<Receipt, SalesError> {
        if sale.idempotency_key.is_empty() || sale.lines.is_empty() {
            return Err(SalesError::Invalid(
                "a sale needs an idempotency key and at least one line".into(),
            ));
        }
        // IMMEDIATE: take the write lock first, so the stock read and the update see one
        // state and concurrent sales queue on the busy timeout instead of failing.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(receipt) = self.replay(&mut tx, &sale.idempotency_key).await? {
            tx.rollback().await?;
            return Ok(receipt);
        }
        let order_id = uuid::Uuid::now_v7().to_string();
        let mut lines = Vec::with_capacity(sale.lines.len());
        let mut currency: Option<String> = None;
        for line in &sale.lines {
            if line.qty == 0 {
                return Err(SalesError::Invalid("a line of 0 units".into()));
            }
            let row = sqlx::query(
                "SELECT id, sku, name, kind, price_minor, currency, tax_bp, tax_inclusive, stock
                 FROM sales_item WHERE id = ? AND active = 1",
            )
            .bind(&line.item_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| SalesError::UnknownItem(line.item_id.clone()))?;
            let item = item_from_row(&row)?;
            if *currency.get_or_insert_with(|| item.item.currency.clone()) != item.item.currency {
                return Err(SalesError::Invalid(
                    "items in different currencies cannot share an order".into(),
                ));
            }
            let qty = i64::from(line.qty);
            // Units sold are counted for every item (a KPI); limited ones are guarded.
            take_stock(&mut tx, &item.id, &item.item.name, item.item.stock, qty).await?;
            let (tax, total) = item.item.tax.apply(item.item.price_minor * qty);
            lines.push(OrderLine {
                item_id: item.id,
                name: item.item.name,
                qty: line.qty,
                unit_minor: item.item.price_minor,
                total_minor: total,
                tax_minor: tax,
            });
        }
        let placed = OrderPlaced {
            customer: sale.customer.clone(),
            currency: currency.unwrap_or_default(),
            lines,
            shots: sale.shots.clone(),
        };
        self.append(
            &mut tx,
            &order_id,
            "order_placed",
            &placed,
            Some(&sale.idempotency_key),
        )
        .await?;
        project_order(&mut tx, &order_id, &placed).await?;
        let total: i64 = placed.lines.iter().map(|l| l.total_minor).sum();
        let (mut paid, mut tendered) = (0, 0);
        if let Some(method) = &sale.payment {
            let amount = match method {
                PaymentMethod::Cash { tendered_minor } if *tendered_minor < total => {
                    *tendered_minor
                }
                _ => total,
            };
            let taken = PaymentTaken {
                payment_id: uuid::Uuid::now_v7().to_string(),
                method: method.clone(),
                amount_minor: amount,
            };
            self.append(&mut tx, &order_id, "payment_taken", &taken, None)
                .await?;
            project_payment(&mut tx, &order_id, &taken).await?;
            paid = amount;
            if let PaymentMethod::Cash { tendered_minor } = method {
                tendered = *tendered_minor;
            }
        }
        tx.commit().await?;
        // The receipt from what was just written (a replay reads it back: `receipt_of`).
        Ok(Receipt {
            order_id,
            currency: placed.currency,
            total_minor: total,
            tax_minor: placed.lines.iter().map(|l| l.tax_minor).sum(),
            lines: placed.lines,
            paid_minor: paid,
            change_minor: (tendered - total).max(0),
            status: if paid >= total { "paid" } else { "open" }.into(),
            replayed: false,
        })
    }

    /// The receipt of the order the key `key` placed, if it did.
    async fn replay(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        key: &str,
    ) -> Result<Option<Receipt>, SalesError> {
        let order: Option<(String,)> =
            sqlx::query_as("SELECT order_id FROM sales_event WHERE idempotency_key = ?")
                .bind(key)
                .fetch_optional(&mut **tx)
                .await?;
        match order {
            Some((id,)) => Ok(Some(receipt_of(tx, &id, true).await?)),
            None => Ok(None),
        }
    }

    async fn append(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        order_id: &str,
        kind: &str,
        body: &impl Serialize,
        key: Option<&str>,
    ) -> Result<(), SalesError> {
        let body =
            serde_json::to_string(body).map_err(|e| SalesError::Invalid(format!("{kind}: {e}")))?;
        sqlx::query(
            "INSERT INTO sales_event (id, order_id, kind, body, idempotency_key, booth, at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(order_id)
        .bind(kind)
        .bind(body)
        .bind(key)
        .bind(&self.booth)
        .bind(now())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Gives `amount_minor` back on order `order_id` (up to what was paid). Retrying with
    /// the same key does nothing more. The order's status becomes `refunded` when nothing
    /// paid is left.
    pub async fn refund(
        &self,
        order_id: &str,
        amount_minor: i64,
        reason: &str,
        idempotency_key: &str,
    ) -> Result<Receipt, SalesError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(receipt) = self.replay(&mut tx, idempotency_key).await? {
            tx.rollback().await?;
            return Ok(receipt);
        }
        let (paid, status) = order_state(&mut tx, order_id).await?;
        if status == "void" || amount_minor <= 0 || amount_minor > paid {
            return Err(SalesError::Invalid(format!(
                "cannot refund {amount_minor} of an order with {paid} paid ({status})"
            )));
        }
        let refund = RefundIssued {
            refund_id: uuid::Uuid::now_v7().to_string(),
            amount_minor,
            reason: reason.to_owned(),
        };
        self.append(
            &mut tx,
            order_id,
            "refund_issued",
            &refund,
            Some(idempotency_key),
        )
        .await?;
        project_refund(&mut tx, order_id, &refund).await?;
        let receipt = receipt_of(&mut tx, order_id, false).await?;
        tx.commit().await?;
        Ok(receipt)
    }

    /// Cancels order `order_id` before anything was paid (refund first otherwise): its
    /// limited units go back on offer. Retrying with the same key does nothing more.
    pub async fn void(
        &self,
        order_id: &str,
        reason: &str,
        idempotency_key: &str,
    ) -> Result<Receipt, SalesError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(receipt) = self.replay(&mut tx, idempotency_key).await? {
            tx.rollback().await?;
            return Ok(receipt);
        }
        let (paid, status) = order_state(&mut tx, order_id).await?;
        if status == "void" || paid > 0 {
            return Err(SalesError::Invalid(format!(
                "cannot void an order with {paid} paid ({status}): refund it first"
            )));
        }
        let voided = OrderVoided {
            reason: reason.to_owned(),
        };
        self.append(
            &mut tx,
            order_id,
            "order_voided",
            &voided,
            Some(idempotency_key),
        )
        .await?;
        project_void(&mut tx, order_id).await?;
        let receipt = receipt_of(&mut tx, order_id, false).await?;
        tx.commit().await?;
        Ok(receipt)
    }

    /// Throws the projections away and rebuilds them from the events, in order: what a
    /// reader sees is exactly what the log says.
    pub async fn rebuild_projections(&self) -> Result<(), SalesError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for table in [
            "sales_payment",
            "sales_order_shot",
            "sales_line",
            "sales_order",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE sales_stock SET sold = 0")
            .execute(&mut *tx)
            .await?;
        let events: Vec<(String, String, String)> =
            sqlx::query_as("SELECT order_id, kind, body FROM sales_event ORDER BY seq")
                .fetch_all(&mut *tx)
                .await?;
        for (order_id, kind, body) in events {
            let corrupt = |e: serde_json::Error| SalesError::Corrupt(format!("{kind}: {e}"));
            match kind.as_str() {
                "order_placed" => {
                    let placed: OrderPlaced = serde_json::from_str(&body).map_err(corrupt)?;
                    for line in &placed.lines {
                        sqlx::query("UPDATE sales_stock SET sold = sold + ? WHERE item_id = ?")
                            .bind(i64::from(line.qty))
                            .bind(&line.item_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    project_order(&mut tx, &order_id, &placed).await?;
                }
                "payment_taken" => {
                    let taken: PaymentTaken = serde_json::from_str(&body).map_err(corrupt)?;
                    project_payment(&mut tx, &order_id, &taken).await?;
                }
                "refund_issued" => {
                    let refund: RefundIssued = serde_json::from_str(&body).map_err(corrupt)?;
                    project_refund(&mut tx, &order_id, &refund).await?;
                }
                "order_voided" => project_void(&mut tx, &order_id).await?,
                other => {
                    return Err(SalesError::Corrupt(format!("unknown event kind {other:?}")));
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The receipt of order `id`.
    pub async fn receipt(&self, id: &str) -> Result<Receipt, SalesError> {
        let mut tx = self.pool.begin().await?;
        let receipt = receipt_of(&mut tx, id, false).await?;
        tx.rollback().await?;
        Ok(receipt)
    }
}

/// Counts `qty` units of an item as sold; of a limited item (`stock`), only if that many
/// are left, else it fails without taking any.
async fn take_stock(
    tx: &mut Transaction<'_, Sqlite>,
    item_id: &str,
    name: &str,
    stock: Option<i64>,
    qty: i64,
) -> Result<(), SalesError> {
    let taken = sqlx::query(
        "UPDATE sales_stock SET sold = sold + ? WHERE item_id = ? AND (? IS NULL OR sold + ? <= ?)",
    )
    .bind(qty)
    .bind(item_id)
    .bind(stock)
    .bind(qty)
    .bind(stock)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if taken == 1 {
        return Ok(());
    }
    let (sold,): (i64,) = sqlx::query_as("SELECT sold FROM sales_stock WHERE item_id = ?")
        .bind(item_id)
        .fetch_one(&mut **tx)
        .await?;
    Err(SalesError::SoldOut {
        name: name.into(),
        left: stock.unwrap_or(0) - sold,
        wanted: qty,
    })
}

async fn project_order(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
    placed: &OrderPlaced,
) -> Result<(), SalesError> {
    let customer = serde_json::to_string(&placed.customer)
        .map_err(|e| SalesError::Invalid(format!("customer: {e}")))?;
    sqlx::query(
        "INSERT INTO sales_order (id, customer, currency, total_minor, tax_minor, status,
         created_at) VALUES (?, ?, ?, ?, ?, 'open', ?)",
    )
    .bind(order_id)
    .bind(customer)
    .bind(&placed.currency)
    .bind(placed.lines.iter().map(|l| l.total_minor).sum::<i64>())
    .bind(placed.lines.iter().map(|l| l.tax_minor).sum::<i64>())
    .bind(uuid_time(order_id))
    .execute(&mut **tx)
    .await?;
    for (i, line) in placed.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO sales_line (order_id, line, item_id, qty, unit_minor, total_minor)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(order_id)
        .bind(i as i64 + 1)
        .bind(&line.item_id)
        .bind(i64::from(line.qty))
        .bind(line.unit_minor)
        .bind(line.total_minor)
        .execute(&mut **tx)
        .await?;
    }
    for shot in &placed.shots {
        sqlx::query("INSERT OR IGNORE INTO sales_order_shot (order_id, shot_id) VALUES (?, ?)")
            .bind(order_id)
            .bind(shot)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn project_payment(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
    taken: &PaymentTaken,
) -> Result<(), SalesError> {
    let method = serde_json::to_string(&taken.method)
        .map_err(|e| SalesError::Invalid(format!("payment: {e}")))?;
    project_money(tx, order_id, &taken.payment_id, &method, taken.amount_minor).await
}

/// What order `order_id` has been paid, and its status.
async fn order_state(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
) -> Result<(i64, String), SalesError> {
    sqlx::query_as("SELECT paid_minor, status FROM sales_order WHERE id = ?")
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| SalesError::Invalid(format!("no order {order_id}")))
}

async fn project_refund(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
    refund: &RefundIssued,
) -> Result<(), SalesError> {
    let method = r#"{"method":"refund"}"#;
    project_money(
        tx,
        order_id,
        &refund.refund_id,
        method,
        -refund.amount_minor,
    )
    .await
}

/// Money in (a payment) or out (a refund, negative) on an order: its row, the order's paid
/// total and its status (`paid` when covered, `refunded` when a refund leaves nothing).
async fn project_money(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
    id: &str,
    method: &str,
    amount: i64,
) -> Result<(), SalesError> {
    sqlx::query(
        "INSERT INTO sales_payment (id, order_id, method, amount_minor, at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(order_id)
    .bind(method)
    .bind(amount)
    .bind(uuid_time(id))
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE sales_order SET paid_minor = paid_minor + ?1,
         status = CASE WHEN ?1 < 0 AND paid_minor + ?1 <= 0 THEN 'refunded'
                       WHEN paid_minor + ?1 >= total_minor THEN 'paid'
                       ELSE 'open' END
         WHERE id = ?2",
    )
    .bind(amount)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn project_void(tx: &mut Transaction<'_, Sqlite>, order_id: &str) -> Result<(), SalesError> {
    sqlx::query(
        "UPDATE sales_stock SET sold = sold - (SELECT COALESCE(SUM(l.qty), 0) FROM sales_line l
         WHERE l.order_id = ? AND l.item_id = sales_stock.item_id)
         WHERE item_id IN (SELECT item_id FROM sales_line WHERE order_id = ?)",
    )
    .bind(order_id)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE sales_order SET status = 'void' WHERE id = ?")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn receipt_of(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
    replayed: bool,
) -> Result<Receipt, SalesError> {
    let (currency, total, tax, paid, status): (String, i64, i64, i64, String) = sqlx::query_as(
        "SELECT currency, total_minor, tax_minor, paid_minor, status FROM sales_order
         WHERE id = ?",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?;
    let placed: (String,) =
        sqlx::query_as("SELECT body FROM sales_event WHERE order_id = ? AND kind = 'order_placed'")
            .bind(order_id)
            .fetch_one(&mut **tx)
            .await?;
    let placed: OrderPlaced = serde_json::from_str(&placed.0)
        .map_err(|e| SalesError::Corrupt(format!("order_placed: {e}")))?;
    let cash: Vec<(String,)> =
        sqlx::query_as("SELECT method FROM sales_payment WHERE order_id = ?")
            .bind(order_id)
            .fetch_all(&mut **tx)
            .await?;
    let tendered: i64 = cash
        .iter()
        .filter_map(|(m,)| match serde_json::from_str(m) {
            Ok(PaymentMethod::Cash { tendered_minor }) => Some(tendered_minor),
            _ => None,
        })
        .sum();
    Ok(Receipt {
        order_id: order_id.into(),
        lines: placed.lines,
        currency,
        total_minor: total,
        tax_minor: tax,
        paid_minor: paid,
        change_minor: (tendered - total).max(0),
        status,
        replayed,
    })
}

/// The creation time a UUID v7 carries, as RFC 3339 (UTC, milliseconds).
fn uuid_time(id: &str) -> String {
    uuid::Uuid::parse_str(id)
        .ok()
        .and_then(|u| u.get_timestamp())
        .map(|ts| {
            let (secs, nanos) = ts.to_unix();
            time::OffsetDateTime::from_unix_timestamp(secs as i64)
                .map(|t| t + time::Duration::nanoseconds(i64::from(nanos)))
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
