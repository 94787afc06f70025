//! The event's catalogue: what is for sale, at what price and tax, and how many of a limited
//! item there are.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{Discount, Sales, SalesError};

/// What an item is; it decides what delivery does after the sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemKind {
    /// A print of the shot: paper size (`4x6`, `5x7`, `2x6-strip`) and copies per unit.
    Print { size: String, copies: u32 },
    /// The digital files, by a link that lives `link_hours` (24 by default).
    Download { link_hours: u32 },
    /// Several items sold as one (by SKU).
    Bundle { skus: Vec<String> },
    /// A ticket tier with its capacity (the stock) and perks ("a bundled print", "backstage Q&A").
    Rsvp { perks: Vec<String> },
    /// A pass valid for `valid_days` from the sale.
    Pass { valid_days: u32 },
    /// A limited-drop product (its stock is the drop's size).
    Drop,
}

/// Tax on an item, in basis points (2000 = 20%), included in the price or added to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
pub struct Tax {
    pub rate_bp: u32,
    pub inclusive: bool,
}

impl Tax {
    /// The tax in `amount` (inclusive) or on it (exclusive), rounded half up, and the amount
    /// the buyer pays.
    pub fn apply(&self, amount: i64) -> (i64, i64) {
        let bp = i64::from(self.rate_bp);
        if bp == 0 {
            return (0, amount);
        }
        if self.inclusive {
            let tax = (amount * bp * 2 + (10_000 + bp)) / (2 * (10_000 + bp));
            (tax, amount)
        } else {
            let tax = (amount * bp + 5_000) / 10_000;
            (tax, amount + tax)
        }
    }
}

/// A catalogue entry as written by the operator (or imported).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct NewItem {
    pub sku: String,
    pub name: String,
    #[serde(flatten)]
    pub kind: ItemKind,
    /// Price in minor units (cents) of `currency`.
    #[specta(type = i32)]
    pub price_minor: i64,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    #[serde(default)]
    pub tax: Tax,
    /// Units on offer for limited items (drops, RSVP capacity); `None` is unlimited.
    #[serde(default)]
    #[specta(type = Option<i32>)]
    pub stock: Option<i64>,
}

/// A catalogue item.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Item {
    pub id: String,
    #[serde(flatten)]
    pub item: NewItem,
}

impl Sales {
    /// Adds `item` to the catalogue (its SKU must be new).
    pub async fn add_item(&self, item: NewItem) -> Result<Item, SalesError> {
        let mut tx = self.pool.begin().await?;
        let id = insert_item(&mut tx, &item).await?;
        tx.commit().await?;
        Ok(Item { id, item })
    }

    /// Imports a catalogue (as exported by [`Sales::export_catalog`]): new SKUs are added,
    /// known ones updated (name, kind, price, tax, stock), all or nothing. A limited item's
    /// stock cannot go under what is already sold.
    pub async fn import_catalog(&self, json: &str) -> Result<CatalogImport, SalesError> {
        let catalog: Catalog = serde_json::from_str(json)
            .map_err(|e| SalesError::Invalid(format!("the catalogue: {e}")))?;
        self.import(catalog).await
    }

    /// Imports a catalogue CSV (as [`Sales::export_catalog_csv`] writes it): items only.
    pub async fn import_catalog_csv(&self, csv: &str) -> Result<CatalogImport, SalesError> {
        let items = crate::catalog_csv::parse(csv)?;
        self.import(Catalog {
            items,
            coupons: Vec::new(),
        })
        .await
    }

    /// The catalogue's items as CSV (coupons are in the JSON export only).
    pub async fn export_catalog_csv(&self) -> Result<String, SalesError> {
        let items: Vec<NewItem> = self.items().await?.into_iter().map(|i| i.item).collect();
        Ok(crate::catalog_csv::write(&items))
    }

    async fn import(&self, catalog: Catalog) -> Result<CatalogImport, SalesError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut report = CatalogImport::default();
        for item in &catalog.items {
            let known: Option<(String, i64)> = sqlx::query_as(
                "SELECT i.id, s.sold FROM sales_item i JOIN sales_stock s ON s.item_id = i.id
                 WHERE i.sku = ?",
            )
            .bind(&item.sku)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, sold)) = known else {
                insert_item(&mut tx, item).await?;
                report.added += 1;
                continue;
            };
            validate(item)?;
            if item.stock.is_some_and(|s| s < sold) {
                return Err(SalesError::Invalid(format!(
                    "{}: a stock of {} is less than the {sold} already sold",
                    item.sku,
                    item.stock.unwrap_or(0)
                )));
            }
            sqlx::query(
                "UPDATE sales_item SET name = ?, kind = ?, price_minor = ?, currency = ?,
                 tax_bp = ?, tax_inclusive = ?, stock = ? WHERE id = ?",
            )
            .bind(&item.name)
            .bind(kind_json(&item.kind)?)
            .bind(item.price_minor)
            .bind(&item.currency)
            .bind(i64::from(item.tax.rate_bp))
            .bind(item.tax.inclusive)
            .bind(item.stock)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            report.updated += 1;
        }
        for coupon in &catalog.coupons {
            upsert_coupon(&mut tx, coupon).await?;
        }
        report.coupons = catalog.coupons.len() as u32;
        tx.commit().await?;
        Ok(report)
    }

    /// Adds coupon `coupon`, or changes the one with its code (uses so far are kept).
    pub async fn put_coupon(&self, coupon: &Coupon) -> Result<(), SalesError> {
        let mut tx = self.pool.begin().await?;
        upsert_coupon(&mut tx, coupon).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The coupon codes, by code.
    pub async fn coupons(&self) -> Result<Vec<Coupon>, SalesError> {
        let rows: Vec<(String, String, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT code, discount, max_uses, valid_until FROM sales_coupon ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(code, discount, max_uses, valid_until)| {
                Ok(Coupon {
                    discount: serde_json::from_str(&discount)
                        .map_err(|e| SalesError::Corrupt(format!("coupon {code}: {e}")))?,
                    code,
                    max_uses: max_uses.and_then(|m| u32::try_from(m).ok()),
                    valid_until,
                })
            })
            .collect()
    }

    /// The catalogue as JSON (`{"items": [...]}`), for [`Sales::import_catalog`] at another
    /// booth or event.
    pub async fn export_catalog(&self) -> Result<String, SalesError> {
        let items = self.items().await?.into_iter().map(|i| i.item).collect();
        let coupons = self.coupons().await?;
        serde_json::to_string_pretty(&Catalog { items, coupons })
            .map_err(|e| SalesError::Invalid(format!("the catalogue: {e}")))
    }

    /// The catalogue, by SKU.
    pub async fn items(&self) -> Result<Vec<Item>, SalesError> {
        let items = self.items_with_stock().await?;
        Ok(items.into_iter().map(|(item, _)| item).collect())
    }

    /// The catalogue with the units left of each item (`None`: unlimited), by SKU.
    pub async fn items_with_stock(&self) -> Result<Vec<(Item, Option<i64>)>, SalesError> {
        let rows = sqlx::query(
            "SELECT i.id, i.sku, i.name, i.kind, i.price_minor, i.currency, i.tax_bp,
             i.tax_inclusive, i.stock, s.sold FROM sales_item i
             JOIN sales_stock s ON s.item_id = i.id ORDER BY i.sku",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let item = item_from_row(row)?;
                let sold: i64 = row.try_get("sold")?;
                let left = item.item.stock.map(|s| s - sold);
                Ok((item, left))
            })
            .collect()
    }

    /// Units of `item_id` left (`None`: unlimited).
    pub async fn stock_left(&self, item_id: &str) -> Result<Option<i64>, SalesError> {
        let row: Option<(Option<i64>, i64)> = sqlx::query_as(
            "SELECT i.stock, s.sold FROM sales_item i JOIN sales_stock s ON s.item_id = i.id
             WHERE i.id = ?",
        )
        .bind(item_id)
        .fetch_optional(&self.pool)
        .await?;
        let (stock, sold) = row.ok_or_else(|| SalesError::UnknownItem(item_id.into()))?;
        Ok(stock.map(|s| s - sold))
    }
}

pub(crate) fn item_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Item, SalesError> {
    let kind: String = row.try_get("kind")?;
    let tax_bp: i64 = row.try_get("tax_bp")?;
    Ok(Item {
        id: row.try_get("id")?,
        item: NewItem {
            sku: row.try_get("sku")?,
            name: row.try_get("name")?,
            kind: serde_json::from_str(&kind)
                .map_err(|e| SalesError::Corrupt(format!("item kind {kind:?}: {e}")))?,
            price_minor: row.try_get("price_minor")?,
            currency: row.try_get("currency")?,
            tax: Tax {
                rate_bp: u32::try_from(tax_bp)
                    .map_err(|_| SalesError::Corrupt(format!("tax rate {tax_bp}")))?,
                inclusive: row.try_get("tax_inclusive")?,
            },
            stock: row.try_get("stock")?,
        },
    })
}

/// A coupon code: money off an order, for a limited number of orders or until a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Coupon {
    /// What the customer types or shows; matched without regard to case.
    pub code: String,
    pub discount: Discount,
    /// How many orders may use it (`None`: any number).
    #[serde(default)]
    pub max_uses: Option<u32>,
    /// Until when it works (RFC 3339, UTC).
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// A catalogue as imported and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Catalog {
    items: Vec<NewItem>,
    #[serde(default)]
    coupons: Vec<Coupon>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct CatalogImport {
    pub added: u32,
    pub updated: u32,
    /// Coupon codes added or changed.
    pub coupons: u32,
}

fn validate(item: &NewItem) -> Result<(), SalesError> {
    if item.currency.len() != 3 || !item.currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(SalesError::Invalid(format!(
            "{}: {:?} is not an ISO 4217 currency code",
            item.sku, item.currency
        )));
    }
    if item.sku.trim().is_empty() || item.name.trim().is_empty() {
        return Err(SalesError::Invalid("an item needs a SKU and a name".into()));
    }
    if item.price_minor < 0 || item.stock.is_some_and(|s| s < 0) {
        return Err(SalesError::Invalid(format!(
            "{}: a price and a stock cannot be negative",
            item.sku
        )));
    }
    Ok(())
}

fn kind_json(kind: &ItemKind) -> Result<String, SalesError> {
    serde_json::to_string(kind).map_err(|e| SalesError::Invalid(format!("item kind: {e}")))
}

async fn upsert_coupon(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    coupon: &Coupon,
) -> Result<(), SalesError> {
    let code = coupon.code.trim().to_uppercase();
    if code.is_empty() || code.chars().any(char::is_whitespace) {
        return Err(SalesError::Invalid(format!(
            "{:?} cannot be a coupon code",
            coupon.code
        )));
    }
    let valid = match coupon.discount {
        Discount::Percent { bp } => bp <= 10_000,
        Discount::Amount { minor } => minor >= 0,
    };
    if !valid {
        return Err(SalesError::Invalid(format!(
            "{code}: a discount of 0 to 100%"
        )));
    }
    // Kept in UTC, so that it compares with the clock as text.
    let until = match &coupon.valid_until {
        None => None,
        Some(t) => Some(crate::orders::utc(t).ok_or_else(|| {
            SalesError::Invalid(format!("{code}: {t:?} is not an RFC 3339 time"))
        })?),
    };
    let discount = serde_json::to_string(&coupon.discount)
        .map_err(|e| SalesError::Invalid(format!("{code}: {e}")))?;
    sqlx::query(
        "INSERT INTO sales_coupon (code, discount, max_uses, valid_until) VALUES (?, ?, ?, ?)
         ON CONFLICT (code) DO UPDATE SET discount = excluded.discount,
         max_uses = excluded.max_uses, valid_until = excluded.valid_until",
    )
    .bind(code)
    .bind(discount)
    .bind(coupon.max_uses.map(i64::from))
    .bind(until)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes item `id` as the shared catalogue has it (added, or changed in place). An item of
/// this booth with the same SKU under another id is a clash the operator must settle.
pub(crate) async fn put_item(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: &str,
    item: &NewItem,
) -> Result<(), SalesError> {
    validate(item)?;
    let clash: Option<(String,)> =
        sqlx::query_as("SELECT id FROM sales_item WHERE sku = ? AND id != ?")
            .bind(&item.sku)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    if clash.is_some() {
        return Err(SalesError::Invalid(format!(
            "{} is in the shared catalogue as another item than here: rename one of them",
            item.sku
        )));
    }
    write_item(tx, id, item, true).await
}

/// Inserts a new item and its stock row; its id.
async fn insert_item(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    item: &NewItem,
) -> Result<String, SalesError> {
    validate(item)?;
    let id = uuid::Uuid::now_v7().to_string();
    write_item(tx, &id, item, false).await?;
    Ok(id)
}

/// The item's row (changed in place when `replace` and it exists) and its stock row.
async fn write_item(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: &str,
    item: &NewItem,
    replace: bool,
) -> Result<(), SalesError> {
    let on_conflict = if replace {
        "ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, name = excluded.name,
         kind = excluded.kind, price_minor = excluded.price_minor, currency = excluded.currency,
         tax_bp = excluded.tax_bp, tax_inclusive = excluded.tax_inclusive, stock = excluded.stock"
    } else {
        ""
    };
    sqlx::query(&format!(
        "INSERT INTO sales_item (id, sku, name, kind, price_minor, currency, tax_bp,
         tax_inclusive, stock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) {on_conflict}"
    ))
    .bind(id)
    .bind(&item.sku)
    .bind(&item.name)
    .bind(kind_json(&item.kind)?)
    .bind(item.price_minor)
    .bind(&item.currency)
    .bind(i64::from(item.tax.rate_bp))
    .bind(item.tax.inclusive)
    .bind(item.stock)
    .execute(&mut **tx)
    .await?;
    sqlx::query("INSERT OR IGNORE INTO sales_stock (item_id, sold) VALUES (?, 0)")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxes_included_and_added_round_half_up() {
        let vat = |inclusive| Tax {
            rate_bp: 2000,
            inclusive,
        };
        // 12.00 including 20%: 2.00 of it is tax.
        assert_eq!(vat(true).apply(1200), (200, 1200));
        // 10.00 plus 20%: 2.00 on top.
        assert_eq!(vat(false).apply(1000), (200, 1200));
        // 0.05 plus 7%: 0.0035, rounds to 0.
        let low = Tax {
            rate_bp: 700,
            inclusive: false,
        };
        assert_eq!(low.apply(5), (0, 5));
        assert_eq!(low.apply(50), (4, 54));
        assert_eq!(Tax::default().apply(999), (0, 999));
    }
}
