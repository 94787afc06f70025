//! The projections: how an event becomes rows for reading (orders, lines, payments, units
//! sold, quotas). `Sales::sell` and the other commands write them in the same transaction as
//! their events; [`apply_event`] writes them for an event already in the log (a rebuild, or
//! another booth's event arriving by sync), so both paths share these functions.

use sqlx::{Sqlite, Transaction};

use super::{OrderLine, OrderPlaced, PaymentTaken, RefundIssued, uuid_time};
use crate::SalesError;

/// Writes the projections of an event that is already in the log (rebuilding them, or an
/// event another booth made, arriving by sync). `me` is this booth: only its own sales count
/// against its quotas.
pub(crate) async fn apply_event(
    tx: &mut Transaction<'_, Sqlite>,
    me: &str,
    order_id: &str,
    kind: &str,
    body: &str,
    booth: &str,
) -> Result<(), SalesError> {
    let corrupt = |e: serde_json::Error| SalesError::Corrupt(format!("{kind}: {e}"));
    match kind {
        "order_placed" => {
            let placed: OrderPlaced = serde_json::from_str(body).map_err(corrupt)?;
            count_units(tx, &placed.lines, 1, booth == me).await?;
            if let Some(code) = &placed.coupon {
                sqlx::query("UPDATE sales_coupon SET used = used + 1 WHERE code = ?")
                    .bind(code)
                    .execute(&mut **tx)
                    .await?;
            }
            project_order(tx, order_id, &placed, booth, None).await
        }
        "payment_taken" => {
            let taken: PaymentTaken = serde_json::from_str(body).map_err(corrupt)?;
            project_payment(tx, order_id, &taken).await
        }
        "refund_issued" => {
            let refund: RefundIssued = serde_json::from_str(body).map_err(corrupt)?;
            project_refund(tx, order_id, &refund).await
        }
        "order_voided" => project_void(tx, order_id, me).await,
        other => Err(SalesError::Corrupt(format!("unknown event kind {other:?}"))),
    }
}

/// Counts `qty` units of an item as sold, if that many are left: of a limited item, within
/// this booth's quota when it has one (booths selling apart), else within the stock. It
/// fails without taking any.
pub(super) async fn take_stock(
    tx: &mut Transaction<'_, Sqlite>,
    item_id: &str,
    name: &str,
    stock: Option<i64>,
    qty: i64,
) -> Result<(), SalesError> {
    if stock.is_some() {
        let quota: Option<(i64, i64)> =
            sqlx::query_as("SELECT units, sold FROM sales_quota WHERE item_id = ?")
                .bind(item_id)
                .fetch_optional(&mut **tx)
                .await?;
        if let Some((units, sold)) = quota {
            let taken = sqlx::query(
                "UPDATE sales_quota SET sold = sold + ?1 WHERE item_id = ?2 AND sold + ?1 <= units",
            )
            .bind(qty)
            .bind(item_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if taken == 0 && units == 0 {
                return Err(SalesError::NoQuota { name: name.into() });
            }
            if taken == 0 {
                return Err(SalesError::SoldOut {
                    name: name.into(),
                    left: (units - sold).max(0),
                    wanted: qty,
                });
            }
            // The whole festival's count: the quotas already keep it within the stock.
            return count_stock(tx, item_id, qty).await;
        }
    }
    let taken = sqlx::query(
        "UPDATE sales_stock SET sold = sold + ?1 WHERE item_id = ?2 AND (?3 IS NULL OR sold + ?1 <= ?3)",
    )
    .bind(qty)
    .bind(item_id)
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

async fn count_stock(
    tx: &mut Transaction<'_, Sqlite>,
    item_id: &str,
    qty: i64,
) -> Result<(), SalesError> {
    sqlx::query("UPDATE sales_stock SET sold = sold + ? WHERE item_id = ?")
        .bind(qty)
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Counts the units of `lines` as sold (`sign` 1) or back on offer (-1), with no check:
/// the sale was already made. `own`: a sale of this booth, which counts against its quota.
async fn count_units(
    tx: &mut Transaction<'_, Sqlite>,
    lines: &[OrderLine],
    sign: i64,
    own: bool,
) -> Result<(), SalesError> {
    for line in lines {
        let qty = sign * i64::from(line.qty);
        count_stock(tx, &line.item_id, qty).await?;
        if own {
            sqlx::query("UPDATE sales_quota SET sold = sold + ? WHERE item_id = ?")
                .bind(qty)
                .bind(&line.item_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Writes the order of `placed`; with `taken`, the payment made with it counts already (its
/// row is [`insert_money`]'s), as [`project_money`] would count it.
pub(super) async fn project_order(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
    placed: &OrderPlaced,
    booth: &str,
    taken: Option<&PaymentTaken>,
) -> Result<(), SalesError> {
    let customer = serde_json::to_string(&placed.customer)
        .map_err(|e| SalesError::Invalid(format!("customer: {e}")))?;
    let paid = taken.map_or(0, |t| t.amount_minor);
    let status = if taken.is_some() && paid >= placed.total() {
        "paid"
    } else {
        "open"
    };
    sqlx::query(
        "INSERT INTO sales_order (id, customer, currency, total_minor, tax_minor, status,
         created_at, booth, discount_minor, paid_minor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(order_id)
    .bind(customer)
    .bind(&placed.currency)
    .bind(placed.total())
    .bind(placed.lines.iter().map(|l| l.tax_minor).sum::<i64>())
    .bind(status)
    .bind(uuid_time(order_id))
    .bind(booth)
    .bind(placed.lines.iter().map(|l| l.discount_minor).sum::<i64>())
    .bind(paid)
    .execute(&mut **tx)
    .await?;
    for (i, line) in placed.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO sales_line (order_id, line, item_id, qty, unit_minor, total_minor,
             discount_minor) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(order_id)
        .bind(i as i64 + 1)
        .bind(&line.item_id)
        .bind(i64::from(line.qty))
        .bind(line.unit_minor)
        .bind(line.total_minor)
        .bind(line.discount_minor)
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
    let method = taken.method_json()?;
    project_money(
        tx,
        order_id,
        &taken.payment_id,
        &method,
        taken.amount_minor,
        taken.change_minor,
    )
    .await
}

/// Order `order_id`'s total, what has been paid, and its status.
pub(super) async fn order_state(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
) -> Result<(i64, i64, String), SalesError> {
    sqlx::query_as("SELECT total_minor, paid_minor, status FROM sales_order WHERE id = ?")
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
        0,
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
    change: i64,
) -> Result<(), SalesError> {
    insert_money(tx, order_id, id, method, amount, change).await?;
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

/// The row of money in or out on an order.
pub(super) async fn insert_money(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
    id: &str,
    method: &str,
    amount: i64,
    change: i64,
) -> Result<(), SalesError> {
    sqlx::query(
        "INSERT INTO sales_payment (id, order_id, method, amount_minor, at, change_minor)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(order_id)
    .bind(method)
    .bind(amount)
    .bind(uuid_time(id))
    .bind(change)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Order `order_id` is cancelled: its units go back on offer (and into the quota of the
/// booth that sold them, when that is `me`).
async fn project_void(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
    me: &str,
) -> Result<(), SalesError> {
    let (booth,): (String,) = sqlx::query_as("SELECT booth FROM sales_order WHERE id = ?")
        .bind(order_id)
        .fetch_one(&mut **tx)
        .await?;
    let lines: Vec<(String, i64)> =
        sqlx::query_as("SELECT item_id, qty FROM sales_line WHERE order_id = ?")
            .bind(order_id)
            .fetch_all(&mut **tx)
            .await?;
    let lines: Vec<OrderLine> = lines
        .into_iter()
        .map(|(item_id, qty)| OrderLine {
            item_id,
            name: String::new(),
            qty: u32::try_from(qty).unwrap_or(0),
            unit_minor: 0,
            discount_minor: 0,
            total_minor: 0,
            tax_minor: 0,
        })
        .collect();
    count_units(tx, &lines, -1, booth == me).await?;
    sqlx::query("UPDATE sales_order SET status = 'void' WHERE id = ?")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
