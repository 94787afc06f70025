//! Orders as events. A sale is one transaction that appends its events (`order_placed`,
//! `payment_taken`; later `refund_issued`, `order_voided`) with a time-ordered id and the
//! command's idempotency key, takes limited stock with a single guarded update, and writes
//! the projections read by the screens. The database is in WAL mode with
//! `synchronous = FULL` (the store opens it so): when `sell` returns, the sale survives a
//! crash and a power cut. A retried command (a double tap, a timeout) finds its key and gets
//! the first receipt back.

use serde::{Deserialize, Serialize};
use sqlx::{Sqlite, Transaction};

mod projection;

pub(crate) use projection::apply_event;
use projection::{insert_money, order_state, project_order, take_stock};

use crate::catalog::item_from_row;
use crate::pricing::{Gross, price};
use crate::{Discount, Sales, SalesError};

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
    Cash {
        #[specta(type = i32)]
        tendered_minor: i64,
    },
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Sale {
    /// Chosen by the client once per sale and sent again on a retry.
    pub idempotency_key: String,
    pub customer: Customer,
    pub lines: Vec<CartLine>,
    /// The shots the order is for.
    #[serde(default)]
    pub shots: Vec<String>,
    /// A coupon code the customer has.
    #[serde(default)]
    pub coupon: Option<String>,
    /// Money off given by the operator (after the coupon's).
    #[serde(default)]
    pub discount: Option<Discount>,
    /// Taken now, in full (or, in cash, what was handed over); `None` leaves the order open
    /// for [`Sales::pay`].
    pub payment: Option<PaymentMethod>,
}

/// A priced line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct OrderLine {
    pub item_id: String,
    pub name: String,
    pub qty: u32,
    #[specta(type = i32)]
    pub unit_minor: i64,
    /// This line's share of the order's discount.
    #[serde(default)]
    #[specta(type = i32)]
    pub discount_minor: i64,
    /// What the buyer pays for the line (tax included).
    #[specta(type = i32)]
    pub total_minor: i64,
    #[specta(type = i32)]
    pub tax_minor: i64,
}

/// The `order_placed` event's body: everything needed to rebuild the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OrderPlaced {
    customer: Customer,
    currency: String,
    lines: Vec<OrderLine>,
    shots: Vec<String>,
    #[serde(default)]
    coupon: Option<String>,
    #[serde(default)]
    discount: Option<Discount>,
}

/// An event about to be appended: its kind, its body as JSON, its idempotency key.
struct Appended<'a> {
    kind: &'a str,
    body: String,
    key: Option<&'a str>,
}

impl<'a> Appended<'a> {
    fn new(kind: &'a str, body: &impl Serialize, key: Option<&'a str>) -> Result<Self, SalesError> {
        let body =
            serde_json::to_string(body).map_err(|e| SalesError::Invalid(format!("{kind}: {e}")))?;
        Ok(Appended { kind, body, key })
    }
}

/// The `payment_taken` event's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PaymentTaken {
    payment_id: String,
    method: PaymentMethod,
    amount_minor: i64,
    /// Cash handed back.
    #[serde(default)]
    change_minor: i64,
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

/// An order in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, sqlx::FromRow)]
pub struct OrderSummary {
    pub order_id: String,
    pub customer: String,
    pub currency: String,
    #[specta(type = i32)]
    pub total_minor: i64,
    #[specta(type = i32)]
    pub paid_minor: i64,
    pub status: String,
    pub created_at: String,
    /// The booth that placed it.
    pub booth: String,
}

/// The secret of an order's download page, and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct OrderLink {
    /// 256 random bits, URL-safe (64 hex digits).
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// What the customer gets once the sale is on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Receipt {
    pub order_id: String,
    pub lines: Vec<OrderLine>,
    pub currency: String,
    #[specta(type = i32)]
    pub total_minor: i64,
    #[specta(type = i32)]
    pub tax_minor: i64,
    /// Money off the order (coupon and operator), already taken out of the total.
    #[specta(type = i32)]
    pub discount_minor: i64,
    #[specta(type = i32)]
    pub paid_minor: i64,
    /// Still to pay on an open order.
    #[specta(type = i32)]
    pub due_minor: i64,
    /// Cash handed back.
    #[specta(type = i32)]
    pub change_minor: i64,
    /// `open`, `paid`, `refunded` or `void`.
    pub status: String,
    /// The link to the order's digital goods (orders placed at this booth).
    pub link: Option<OrderLink>,
    /// True when this is the receipt of an earlier, identical command (a retry).
    pub replayed: bool,
}

impl Sales {
    /// Records `sale`: the order, its lines and its payment in one durable transaction.
    /// Limited items never go below zero: of two sales racing for the last unit, one wins
    /// and the other gets [`SalesError::SoldOut`]. Retrying with the same idempotency key
    /// returns the first receipt and changes nothing.
    pub async fn sell(&self, sale: &Sale) -> Result<Receipt, SalesError> {
        // Alone, a sale needs no savepoint: if it fails, its transaction is dropped.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        match self.sell_in(&mut tx, sale).await {
            Ok(receipt) => {
                tx.commit().await?;
                Ok(receipt)
            }
            Err(e) => {
                tx.rollback().await?;
                self.replayed_or(&sale.idempotency_key, e).await
            }
        }
    }

    /// The receipt of the sale with key `key` if there is one (a retry: its attempt failed,
    /// sold out or on the taken key, where the first one succeeded), else `error`.
    async fn replayed_or(&self, key: &str, error: SalesError) -> Result<Receipt, SalesError> {
        let mut tx = self.pool.begin().await?;
        let replayed = self.replay(&mut tx, key).await;
        tx.rollback().await?;
        replayed?.ok_or(error)
    }

    /// What `sale` would come to, priced exactly as [`Sales::sell`] prices it (catalogue,
    /// coupon, discounts, tax, stock and quota checks), with nothing written: the sale runs
    /// in a transaction that is rolled back. Its errors are the sale's (sold out, a coupon
    /// refused). The Sell screen's cart total and "cash exact" come from here, so the UI
    /// never prices anything itself.
    pub async fn quote(&self, sale: &Sale) -> Result<Receipt, SalesError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let quoted = self.sell_in(&mut tx, sale).await;
        tx.rollback().await?;
        let mut receipt = match quoted {
            Ok(receipt) => receipt,
            Err(e) => self.replayed_or(&sale.idempotency_key, e).await?,
        };
        receipt.link = None;
        Ok(receipt)
    }

    /// Records `sales` in one durable transaction (one fsync), each in its own savepoint: a
    /// sale that fails (sold out, a bad coupon) is undone alone and the others stand. The
    /// results are in the order of `sales`; if the commit fails, every sale fails with it.
    pub async fn sell_batch(&self, sales: &[Sale]) -> Vec<Result<Receipt, SalesError>> {
        let all_fail = |e: &dyn std::fmt::Display| {
            let message = e.to_string();
            sales
                .iter()
                .map(|_| Err(SalesError::Commit(message.clone())))
                .collect()
        };
        // IMMEDIATE: take the write lock first, so the stock read and the update see one
        // state and concurrent sales queue on the busy timeout instead of failing.
        let mut tx = match self.pool.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => tx,
            Err(e) => return all_fail(&e),
        };
        let mut results = Vec::with_capacity(sales.len());
        for sale in sales {
            if let Err(e) = sqlx::query("SAVEPOINT sale").execute(&mut *tx).await {
                return all_fail(&e);
            }
            let result = self.sell_in(&mut tx, sale).await;
            let ends: &[&str] = if result.is_ok() {
                &["RELEASE sale"]
            } else {
                &["ROLLBACK TO sale", "RELEASE sale"]
            };
            for end in ends {
                if let Err(e) = sqlx::query(end).execute(&mut *tx).await {
                    return all_fail(&e);
                }
            }
            let result = match result {
                Err(e) => match self.replay(&mut tx, &sale.idempotency_key).await {
                    Ok(Some(first)) => Ok(first),
                    Ok(None) => Err(e),
                    Err(lookup) => Err(lookup),
                },
                ok => ok,
            };
            results.push(result);
        }
        match tx.commit().await {
            Ok(()) => results,
            Err(e) => all_fail(&e),
        }
    }

    /// One sale inside the open transaction `tx`. A retried sale is not looked for first (a
    /// query less on every sale): its key makes the event's insert fail, and the caller,
    /// after undoing the attempt, finds the first sale's receipt ([`Sales::replayed_or`]).
    async fn sell_in(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        sale: &Sale,
    ) -> Result<Receipt, SalesError> {
        if sale.idempotency_key.is_empty() || sale.lines.is_empty() {
            return Err(SalesError::Invalid(
                "a sale needs an idempotency key and at least one line".into(),
            ));
        }
        let order_id = uuid::Uuid::now_v7().to_string();
        let mut items = Vec::with_capacity(sale.lines.len());
        let mut currency: Option<String> = None;
        let mut link_hours_max = 0;
        for line in &sale.lines {
            if line.qty == 0 {
                return Err(SalesError::Invalid("a line of 0 units".into()));
            }
            let row = sqlx::query(
                "SELECT id, sku, name, kind, price_minor, currency, tax_bp, tax_inclusive, stock
                 FROM sales_item WHERE id = ? AND active = 1",
            )
            .bind(&line.item_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| SalesError::UnknownItem(line.item_id.clone()))?;
            let item = item_from_row(&row)?;
            if *currency.get_or_insert_with(|| item.item.currency.clone()) != item.item.currency {
                return Err(SalesError::Invalid(
                    "items in different currencies cannot share an order".into(),
                ));
            }
            let qty = i64::from(line.qty);
            take_stock(tx, &item.id, &item.item.name, item.item.stock, qty).await?;
            if let crate::ItemKind::Download { link_hours } = item.item.kind {
                link_hours_max = link_hours_max.max(link_hours);
            }
            items.push((item, line.qty));
        }
        let mut discounts = Vec::new();
        if let Some(code) = &sale.coupon {
            discounts.push(use_coupon(tx, code).await?);
        }
        discounts.extend(sale.discount);
        let gross: Vec<Gross> = items
            .iter()
            .map(|(item, qty)| Gross {
                unit_minor: item.item.price_minor,
                qty: i64::from(*qty),
                tax: item.item.tax,
            })
            .collect();
        let lines = items
            .into_iter()
            .zip(price(&gross, &discounts))
            .map(|((item, qty), priced)| OrderLine {
                item_id: item.id,
                name: item.item.name,
                qty,
                unit_minor: item.item.price_minor,
                discount_minor: priced.discount_minor,
                total_minor: priced.total_minor,
                tax_minor: priced.tax_minor,
            })
            .collect();
        let placed = OrderPlaced {
            customer: sale.customer.clone(),
            currency: currency.unwrap_or_default(),
            lines,
            shots: sale.shots.clone(),
            coupon: sale.coupon.as_ref().map(|c| c.trim().to_uppercase()),
            discount: sale.discount,
        };
        let total = placed.total();
        let taken = match &sale.payment {
            Some(method) => Some(payment(method, None, total)?),
            None => None,
        };
        // Fewer round trips to SQLite is what makes a sale fast: both events in one
        // statement, and the order written already paid.
        let mut events = vec![Appended::new(
            "order_placed",
            &placed,
            Some(&sale.idempotency_key),
        )?];
        if let Some(taken) = &taken {
            events.push(Appended::new("payment_taken", taken, None)?);
        }
        self.append_all(tx, &order_id, &events).await?;
        project_order(tx, &order_id, &placed, &self.booth, taken.as_ref()).await?;
        if let Some(taken) = &taken {
            insert_money(
                tx,
                &order_id,
                &taken.payment_id,
                &taken.method_json()?,
                taken.amount_minor,
                taken.change_minor,
            )
            .await?;
        }
        let hours = if link_hours_max == 0 {
            DEFAULT_LINK_HOURS
        } else {
            link_hours_max
        };
        let link = new_link(tx, &order_id, hours).await?;
        // The receipt from what was just written (a replay reads it back: `receipt_of`).
        let paid = taken.as_ref().map_or(0, |t| t.amount_minor);
        Ok(Receipt {
            order_id,
            currency: placed.currency,
            total_minor: total,
            tax_minor: placed.lines.iter().map(|l| l.tax_minor).sum(),
            discount_minor: placed.lines.iter().map(|l| l.discount_minor).sum(),
            lines: placed.lines,
            paid_minor: paid,
            due_minor: total - paid,
            change_minor: taken.map_or(0, |t| t.change_minor),
            status: if paid >= total { "paid" } else { "open" }.into(),
            link: Some(link),
            replayed: false,
        })
    }

    /// Takes a payment on open order `order_id`: `amount_minor` of what is due (all of it
    /// when `None`; in cash, at most what was handed over, the rest is change). Partial
    /// payments leave the order open until it is covered. Retrying with the same key does
    /// nothing more.
    pub async fn pay(
        &self,
        order_id: &str,
        method: &PaymentMethod,
        amount_minor: Option<i64>,
        idempotency_key: &str,
    ) -> Result<Receipt, SalesError> {
        self.order_event(
            order_id,
            idempotency_key,
            "payment_taken",
            |total, paid, status| {
                if status != "open" {
                    return Err(SalesError::Invalid(format!(
                        "order {order_id} is {status}: nothing to pay"
                    )));
                }
                payment(method, amount_minor, total - paid)
            },
        )
        .await
    }

    /// Appends one event of `kind` about order `order_id`, its body decided by `decide` from
    /// the order's total, paid amount and status, and writes its projections (the log's own
    /// [`apply_event`]), in one durable transaction. A retried key gets the first receipt.
    async fn order_event<B: Serialize>(
        &self,
        order_id: &str,
        idempotency_key: &str,
        kind: &str,
        decide: impl FnOnce(i64, i64, &str) -> Result<B, SalesError>,
    ) -> Result<Receipt, SalesError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(receipt) = self.replay(&mut tx, idempotency_key).await? {
            tx.rollback().await?;
            return Ok(receipt);
        }
        let (total, paid, status) = order_state(&mut tx, order_id).await?;
        let event = Appended::new(kind, &decide(total, paid, &status)?, Some(idempotency_key))?;
        self.append_all(&mut tx, order_id, std::slice::from_ref(&event))
            .await?;
        apply_event(
            &mut tx,
            &self.booth,
            order_id,
            kind,
            &event.body,
            &self.booth,
        )
        .await?;
        let receipt = receipt_of(&mut tx, order_id, false).await?;
        tx.commit().await?;
        Ok(receipt)
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

    /// Appends `events` of order `order_id` to the log, in order, in one statement.
    async fn append_all(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        order_id: &str,
        events: &[Appended<'_>],
    ) -> Result<(), SalesError> {
        let at = now();
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO sales_event (id, order_id, kind, body, idempotency_key, booth, at) ",
        );
        insert.push_values(events, |mut row, e| {
            row.push_bind(uuid::Uuid::now_v7().to_string())
                .push_bind(order_id)
                .push_bind(e.kind)
                .push_bind(&e.body)
                .push_bind(e.key)
                .push_bind(&self.booth)
                .push_bind(&at);
        });
        insert.build().execute(&mut **tx).await?;
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
        self.order_event(
            order_id,
            idempotency_key,
            "refund_issued",
            |_, paid, status| {
                if status == "void" || amount_minor <= 0 || amount_minor > paid {
                    return Err(SalesError::Invalid(format!(
                        "cannot refund {amount_minor} of an order with {paid} paid ({status})"
                    )));
                }
                Ok(RefundIssued {
                    refund_id: uuid::Uuid::now_v7().to_string(),
                    amount_minor,
                    reason: reason.to_owned(),
                })
            },
        )
        .await
    }

    /// Cancels order `order_id` before anything was paid (refund first otherwise): its
    /// limited units go back on offer. Retrying with the same key does nothing more.
    pub async fn void(
        &self,
        order_id: &str,
        reason: &str,
        idempotency_key: &str,
    ) -> Result<Receipt, SalesError> {
        self.order_event(
            order_id,
            idempotency_key,
            "order_voided",
            |_, paid, status| {
                if status == "void" || paid > 0 {
                    return Err(SalesError::Invalid(format!(
                        "cannot void an order with {paid} paid ({status}): refund it first"
                    )));
                }
                Ok(OrderVoided {
                    reason: reason.to_owned(),
                })
            },
        )
        .await
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
        for reset in [
            "UPDATE sales_stock SET sold = 0",
            "UPDATE sales_quota SET sold = 0",
            "UPDATE sales_coupon SET used = 0",
        ] {
            sqlx::query(reset).execute(&mut *tx).await?;
        }
        let events: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT order_id, kind, body, booth FROM sales_event ORDER BY seq")
                .fetch_all(&mut *tx)
                .await?;
        for (order_id, kind, body, booth) in events {
            apply_event(&mut tx, &self.booth, &order_id, &kind, &body, &booth).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The latest `limit` orders, newest first (for the Sell screen's list).
    pub async fn recent_orders(&self, limit: u32) -> Result<Vec<OrderSummary>, SalesError> {
        Ok(sqlx::query_as(
            "SELECT id AS order_id, customer ->> '$.name' AS customer, currency, total_minor,
             paid_minor, status, created_at, booth FROM sales_order ORDER BY id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The receipt of order `id`.
    pub async fn receipt(&self, id: &str) -> Result<Receipt, SalesError> {
        let mut tx = self.pool.begin().await?;
        let receipt = receipt_of(&mut tx, id, false).await?;
        tx.rollback().await?;
        Ok(receipt)
    }
}

/// Applies coupon `code` to one more order, if it is known, still valid and not used up;
/// its discount.
async fn use_coupon(tx: &mut Transaction<'_, Sqlite>, code: &str) -> Result<Discount, SalesError> {
    let code = code.trim().to_uppercase();
    let now = now();
    let used: Option<(String,)> = sqlx::query_as(
        "UPDATE sales_coupon SET used = used + 1 WHERE code = ?1
         AND (max_uses IS NULL OR used < max_uses) AND (valid_until IS NULL OR valid_until > ?2)
         RETURNING discount",
    )
    .bind(&code)
    .bind(&now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((discount,)) = used {
        return serde_json::from_str(&discount)
            .map_err(|e| SalesError::Corrupt(format!("coupon {code}: {e}")));
    }
    let known: Option<(Option<String>,)> =
        sqlx::query_as("SELECT valid_until FROM sales_coupon WHERE code = ?")
            .bind(&code)
            .fetch_optional(&mut **tx)
            .await?;
    let reason = match known {
        None => "is not a code of this event",
        Some((Some(until),)) if until <= now => "has expired",
        Some(_) => "has been used as often as it may",
    };
    Err(SalesError::Coupon { code, reason })
}

/// The payment of `amount` (all that is `due` when `None`) by `method`: cash covers at most
/// what was handed over and gives the rest back as change.
fn payment(
    method: &PaymentMethod,
    amount: Option<i64>,
    due: i64,
) -> Result<PaymentTaken, SalesError> {
    let wanted = amount.unwrap_or(due);
    let (amount, change) = match method {
        PaymentMethod::Cash { tendered_minor } if *tendered_minor < 0 => {
            return Err(SalesError::Invalid(
                "cash handed over cannot be negative".into(),
            ));
        }
        PaymentMethod::Cash { tendered_minor } => {
            let amount = wanted.min(*tendered_minor);
            (amount, tendered_minor - amount)
        }
        // A give-away covers the rest of the order.
        PaymentMethod::Complimentary => (due, 0),
        _ => (wanted, 0),
    };
    if amount > due || amount < 0 || (amount == 0 && due > 0) {
        return Err(SalesError::Invalid(format!(
            "a payment of {amount} on an order with {due} due"
        )));
    }
    Ok(PaymentTaken {
        payment_id: uuid::Uuid::now_v7().to_string(),
        method: method.clone(),
        amount_minor: amount,
        change_minor: change,
    })
}

impl PaymentTaken {
    fn method_json(&self) -> Result<String, SalesError> {
        serde_json::to_string(&self.method)
            .map_err(|e| SalesError::Invalid(format!("payment: {e}")))
    }
}

impl OrderPlaced {
    /// What the buyer pays for the order.
    fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.total_minor).sum()
    }
}

async fn receipt_of(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
    replayed: bool,
) -> Result<Receipt, SalesError> {
    let (currency, total, tax, discount, paid, status): (String, i64, i64, i64, i64, String) =
        sqlx::query_as(
            "SELECT currency, total_minor, tax_minor, discount_minor, paid_minor, status
             FROM sales_order WHERE id = ?",
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
    let (change,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(SUM(change_minor), 0) FROM sales_payment WHERE order_id = ?",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?;
    let link: Option<(String, String)> =
        sqlx::query_as("SELECT token, expires_at FROM sales_link WHERE order_id = ?")
            .bind(order_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(Receipt {
        order_id: order_id.into(),
        lines: placed.lines,
        currency,
        total_minor: total,
        tax_minor: tax,
        discount_minor: discount,
        paid_minor: paid,
        due_minor: if status == "open" { total - paid } else { 0 },
        change_minor: change,
        status,
        link: link.map(|(token, expires_at)| OrderLink { token, expires_at }),
        replayed,
    })
}

/// How long a download link lives when no item says.
const DEFAULT_LINK_HOURS: u32 = 24;

/// Gives order `order_id` the secret of its download page, living `hours`.
async fn new_link(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: &str,
    hours: u32,
) -> Result<OrderLink, SalesError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| SalesError::Invalid(format!("no randomness for the link: {e}")))?;
    let token: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(i64::from(hours));
    let expires_at = expires
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| SalesError::Invalid(format!("link expiry: {e}")))?;
    sqlx::query("INSERT INTO sales_link (order_id, token, expires_at) VALUES (?, ?, ?)")
        .bind(order_id)
        .bind(&token)
        .bind(&expires_at)
        .execute(&mut **tx)
        .await?;
    Ok(OrderLink { token, expires_at })
}

/// `t` (RFC 3339, any offset) in UTC, as the log writes times.
pub(crate) fn utc(t: &str) -> Option<String> {
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(t, rfc3339)
        .ok()?
        .to_offset(time::UtcOffset::UTC)
        .format(rfc3339)
        .ok()
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
