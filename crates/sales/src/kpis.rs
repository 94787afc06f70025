//! The numbers a booth is run by, read from the projections: revenue, orders, average order
//! value, conversion (capture sessions that led to an order), the attach rate of upsells
//! (orders of more than one item), repeat customers (who bought in two or more capture
//! sessions; the playbook's signal to run more often is over 12%) and sales per hour; and
//! the order log as CSV that is safe to open in a spreadsheet.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::{Customer, Sales, SalesError};

/// An event's KPIs. Money in minor units of `currency` (the first order's; a booth sells in
/// one currency).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Kpis {
    pub currency: Option<String>,
    /// Money taken (payments, less refunds; give-aways are not revenue). Voided orders do
    /// not count.
    #[specta(type = i32)]
    pub revenue_minor: i64,
    pub orders: u32,
    pub paid_orders: u32,
    #[specta(type = i32)]
    pub average_order_minor: i64,
    /// Capture sessions, and the share of them that led to an order.
    pub sessions: u32,
    pub conversion: f64,
    /// Share of orders with more than one item.
    pub attach_rate: f64,
    /// Share of customers (by email, else phone, else name) who bought in two or more
    /// capture sessions.
    pub repeat_customers: f64,
    /// Orders per hour of the day they were placed (UTC), `(hour, orders)`, busiest first.
    pub orders_per_hour: Vec<(u32, u32)>,
    /// Money taken (less refunds) per quarter hour, oldest first, for the revenue chart.
    pub revenue_over_time: Vec<RevenuePoint>,
    /// The best sellers by revenue (at most 5).
    pub top_items: Vec<TopItem>,
}

/// Money taken in the quarter hour starting at `at` (RFC 3339, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct RevenuePoint {
    pub at: String,
    #[specta(type = i32)]
    pub revenue_minor: i64,
}

/// An item's sales in orders that stand (not voided).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct TopItem {
    pub item_id: String,
    pub name: String,
    #[specta(type = i32)]
    pub units: i64,
    #[specta(type = i32)]
    pub revenue_minor: i64,
}

impl Sales {
    /// The KPIs of the event so far.
    pub async fn kpis(&self) -> Result<Kpis, SalesError> {
        let orders: Vec<(String, String, String, i64, i64, String)> = sqlx::query_as(
            "SELECT id, customer, currency, total_minor, paid_minor, created_at FROM sales_order
             WHERE status != 'void' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let lines: Vec<(String, i64)> =
            sqlx::query_as("SELECT order_id, SUM(qty) FROM sales_line GROUP BY order_id")
                .fetch_all(&self.pool)
                .await?;
        let order_sessions: Vec<(String, String)> = sqlx::query_as(
            "SELECT DISTINCT o.order_id, s.session_id FROM sales_order_shot o
             JOIN shot s ON s.id = o.shot_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let (sessions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM capture_session")
            .fetch_one(&self.pool)
            .await?;
        // Quarter hours: "2026-11-25T14:" and the minute rounded down to 0, 15, 30 or 45.
        let revenue_over_time: Vec<(String, i64)> = sqlx::query_as(
            "SELECT substr(p.at, 1, 14) || printf('%02d', (CAST(substr(p.at, 15, 2) AS INTEGER) / 15) * 15) || ':00Z',
                    SUM(p.amount_minor)
             FROM sales_payment p JOIN sales_order o ON o.id = p.order_id
             WHERE o.status != 'void' AND p.method ->> '$.method' != 'complimentary'
             GROUP BY 1 ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        let top_items: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT l.item_id, i.name, SUM(l.qty), SUM(l.total_minor) FROM sales_line l
             JOIN sales_order o ON o.id = l.order_id JOIN sales_item i ON i.id = l.item_id
             WHERE o.status != 'void' GROUP BY l.item_id ORDER BY 4 DESC, 3 DESC LIMIT 5",
        )
        .fetch_all(&self.pool)
        .await?;
        let units: HashMap<&str, i64> = lines.iter().map(|(o, n)| (o.as_str(), *n)).collect();
        let mut who_sessions: HashMap<String, HashSet<&str>> = HashMap::new();
        let mut per_hour: HashMap<u32, u32> = HashMap::new();
        for (id, customer, _, _, _, created_at) in &orders {
            let customer: Customer = serde_json::from_str(customer)
                .map_err(|e| SalesError::Corrupt(format!("customer of {id}: {e}")))?;
            who_sessions
                .entry(customer_key(&customer))
                .or_default()
                .extend(
                    order_sessions
                        .iter()
                        .filter(|(o, _)| o == id)
                        .map(|(_, s)| s.as_str()),
                );
            if let Some(hour) = created_at.get(11..13).and_then(|h| h.parse().ok()) {
                *per_hour.entry(hour).or_default() += 1;
            }
        }
        let n = orders.len() as u32;
        let revenue: i64 = revenue_over_time.iter().map(|r| r.1).sum();
        let share = |part: usize, whole: usize| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        let converted: HashSet<&str> = order_sessions.iter().map(|(_, s)| s.as_str()).collect();
        let mut orders_per_hour: Vec<(u32, u32)> = per_hour.into_iter().collect();
        orders_per_hour.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(Kpis {
            currency: orders.first().map(|o| o.2.clone()),
            revenue_minor: revenue,
            orders: n,
            paid_orders: orders.iter().filter(|o| o.4 >= o.3).count() as u32,
            average_order_minor: if n == 0 {
                0
            } else {
                orders.iter().map(|o| o.3).sum::<i64>() / i64::from(n)
            },
            sessions: u32::try_from(sessions).unwrap_or(0),
            conversion: share(converted.len(), usize::try_from(sessions).unwrap_or(0)),
            attach_rate: share(
                orders
                    .iter()
                    .filter(|o| units.get(o.0.as_str()).copied().unwrap_or(0) > 1)
                    .count(),
                orders.len(),
            ),
            repeat_customers: share(
                who_sessions.values().filter(|s| s.len() >= 2).count(),
                who_sessions.len(),
            ),
            orders_per_hour,
            revenue_over_time: revenue_over_time
                .into_iter()
                .map(|(at, revenue_minor)| RevenuePoint { at, revenue_minor })
                .collect(),
            top_items: top_items
                .into_iter()
                .map(|(item_id, name, units, revenue_minor)| TopItem {
                    item_id,
                    name,
                    units,
                    revenue_minor,
                })
                .collect(),
        })
    }

    /// Every order as CSV (UTF-8, a header row): id, time, customer, email, total, paid,
    /// currency, status. Cells that a spreadsheet would take for a formula are neutralised.
    pub async fn orders_csv(&self) -> Result<String, SalesError> {
        let orders: Vec<(String, String, String, i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, created_at, customer, total_minor, paid_minor, currency, status
             FROM sales_order ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out =
            String::from("order,time,customer,email,total_minor,paid_minor,currency,status\n");
        for (id, at, customer, total, paid, currency, status) in orders {
            let c: Customer = serde_json::from_str(&customer)
                .map_err(|e| SalesError::Corrupt(format!("customer of {id}: {e}")))?;
            let row = [
                id,
                at,
                c.name,
                c.email.unwrap_or_default(),
                total.to_string(),
                paid.to_string(),
                currency,
                status,
            ];
            let cells: Vec<String> = row.iter().map(|v| csv_cell(v)).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        Ok(out)
    }
}

/// Who a customer is across orders: email, else phone, else name (case and spaces folded).
fn customer_key(c: &Customer) -> String {
    let fold = |s: &str| s.trim().to_lowercase();
    match (&c.email, &c.phone) {
        (Some(e), _) if !e.trim().is_empty() => format!("email:{}", fold(e)),
        (_, Some(p)) if !p.trim().is_empty() => {
            format!(
                "phone:{}",
                p.chars().filter(char::is_ascii_digit).collect::<String>()
            )
        }
        _ => format!("name:{}", fold(&c.name)),
    }
}

/// One CSV cell (RFC 4180 quoting). A value starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return would run as a formula in a spreadsheet (CSV injection): it gets a
/// leading apostrophe, which spreadsheets show as text. Numbers of our own are left as they
/// are. (A dozen lines, so no CSV crate for it.)
pub fn csv_cell(value: &str) -> String {
    let numeric = value.parse::<i64>().is_ok();
    let risky = !numeric && value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if risky {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("Zoë Ångström"), "Zoë Ångström");
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(csv_cell("+1 555"), "'+1 555");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-1200"), "-1200");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
    }

    #[test]
    fn customers_are_told_apart_by_email_then_phone_then_name() {
        let c = |name: &str, email: Option<&str>, phone: Option<&str>| Customer {
            name: name.into(),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
            marketing_consent_at: None,
        };
        assert_eq!(
            customer_key(&c("Ana", Some(" ANA@x.org "), None)),
            customer_key(&c("Ana B.", Some("ana@x.org"), Some("1")))
        );
        assert_eq!(
            customer_key(&c("Bo", None, Some("+44 (20) 7946"))),
            customer_key(&c("Bo", None, Some("44207946")))
        );
        assert_ne!(
            customer_key(&c("Cy", None, None)),
            customer_key(&c("Di", None, None))
        );
    }
}
