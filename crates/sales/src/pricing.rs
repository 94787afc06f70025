//! Pricing an order: each line's gross, the order's discount (coupon and operator) spread
//! over the lines in proportion, and tax on what is left. Pure arithmetic in minor units.

use serde::{Deserialize, Serialize};

use crate::Tax;

/// Money off an order: a share of it or a fixed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Discount {
    /// `bp` basis points of the order (1000 = 10%).
    Percent { bp: u32 },
    /// A fixed amount in minor units (never more than the order).
    Amount {
        #[specta(type = i32)]
        minor: i64,
    },
}

impl Discount {
    /// What it takes off an order of `gross`, rounded half up, never more than `gross`.
    pub fn of(&self, gross: i64) -> i64 {
        let off = match *self {
            Discount::Percent { bp } => (gross * i64::from(bp.min(10_000)) + 5_000) / 10_000,
            Discount::Amount { minor } => minor.max(0),
        };
        off.min(gross)
    }
}

/// A line to price: unit price, units, tax.
pub(crate) struct Gross {
    pub unit_minor: i64,
    pub qty: i64,
    pub tax: Tax,
}

/// A priced line: its share of the discount, its tax and what the buyer pays for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Priced {
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// Prices `lines` with `discounts` off the order. The discount is spread over the lines in
/// proportion to their gross (the remainder of the division on the largest line), so the
/// tax of each line is worked out on what is really paid for it.
pub(crate) fn price(lines: &[Gross], discounts: &[Discount]) -> Vec<Priced> {
    let gross: Vec<i64> = lines.iter().map(|l| l.unit_minor * l.qty).collect();
    let whole: i64 = gross.iter().sum();
    let mut left = whole;
    let mut off = 0;
    for d in discounts {
        let this = d.of(left);
        off += this;
        left -= this;
    }
    let mut shares: Vec<i64> = gross
        .iter()
        .map(|g| if whole == 0 { 0 } else { off * g / whole })
        .collect();
    if let Some(largest) = (0..gross.len()).max_by_key(|&i| gross[i]) {
        shares[largest] += off - shares.iter().sum::<i64>();
    }
    lines
        .iter()
        .zip(gross.iter().zip(shares))
        .map(|(line, (g, share))| {
            let (tax, total) = line.tax.apply(g - share);
            Priced {
                discount_minor: share,
                tax_minor: tax,
                total_minor: total,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(unit: i64, qty: i64, bp: u32, inclusive: bool) -> Gross {
        Gross {
            unit_minor: unit,
            qty,
            tax: Tax {
                rate_bp: bp,
                inclusive,
            },
        }
    }

    #[test]
    fn discounts_spread_over_lines_and_tax_follows() {
        // 10% off 12.00 + 3 x 1.00: 1.50 off, 1.20 on the first line, 0.30 on the second.
        let p = price(
            &[line(1200, 1, 2000, true), line(100, 3, 0, false)],
            &[Discount::Percent { bp: 1000 }],
        );
        assert_eq!(p[0].discount_minor + p[1].discount_minor, 150);
        assert_eq!(p[0].discount_minor, 120);
        assert_eq!(p[0].total_minor, 1080);
        assert_eq!(p[0].tax_minor, 180); // 20% inside 10.80
        assert_eq!(p[1].total_minor, 270);
        // Exclusive tax is added on the discounted amount.
        let p = price(
            &[line(1000, 1, 2000, false)],
            &[Discount::Amount { minor: 500 }],
        );
        assert_eq!(
            (p[0].discount_minor, p[0].tax_minor, p[0].total_minor),
            (500, 100, 600)
        );
        // A discount never makes a line negative, and a coupon then a manual discount add up.
        let p = price(
            &[line(300, 1, 0, true), line(700, 1, 0, true)],
            &[
                Discount::Amount { minor: 800 },
                Discount::Percent { bp: 10_000 },
            ],
        );
        assert_eq!(p.iter().map(|l| l.total_minor).sum::<i64>(), 0);
        assert!(p.iter().all(|l| l.total_minor >= 0));
        // Thirds: the remainder lands on the largest line.
        let p = price(
            &[
                line(100, 1, 0, true),
                line(100, 1, 0, true),
                line(101, 1, 0, true),
            ],
            &[Discount::Amount { minor: 100 }],
        );
        assert_eq!(p.iter().map(|l| l.discount_minor).sum::<i64>(), 100);
        assert_eq!(p[2].discount_minor, 34);
    }
}
