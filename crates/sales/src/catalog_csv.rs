//! The catalogue as CSV, for people who keep their price list in a spreadsheet: one item a
//! row, the kind's details in their own columns (empty when they do not apply).

use serde::{Deserialize, Serialize};

use crate::{ItemKind, NewItem, SalesError, Tax, csv_cell};

const HEADER: [&str; 14] = [
    "sku",
    "name",
    "kind",
    "price_minor",
    "currency",
    "tax_bp",
    "tax_inclusive",
    "stock",
    "size",
    "copies",
    "link_hours",
    "skus",
    "perks",
    "valid_days",
];

/// One row as read (lists are `|`-separated).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Row {
    sku: String,
    name: String,
    kind: String,
    price_minor: i64,
    currency: String,
    #[serde(default)]
    tax_bp: Option<u32>,
    #[serde(default)]
    tax_inclusive: Option<bool>,
    #[serde(default)]
    stock: Option<i64>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    copies: Option<u32>,
    #[serde(default)]
    link_hours: Option<u32>,
    #[serde(default)]
    skus: Option<String>,
    #[serde(default)]
    perks: Option<String>,
    #[serde(default)]
    valid_days: Option<u32>,
}

fn list(cell: Option<String>) -> Vec<String> {
    cell.unwrap_or_default()
        .split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads a catalogue CSV (a header row naming the columns; any order; spreadsheet
/// apostrophes in front of text are dropped).
pub(crate) fn parse(text: &str) -> Result<Vec<NewItem>, SalesError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut items = Vec::new();
    for (i, row) in reader.deserialize::<Row>().enumerate() {
        let line = i + 2;
        let row =
            row.map_err(|e| SalesError::Invalid(format!("catalogue CSV line {line}: {e}")))?;
        let kind = match row.kind.to_lowercase().as_str() {
            "print" => ItemKind::Print {
                size: row.size.unwrap_or_else(|| "4x6".into()),
                copies: row.copies.unwrap_or(1),
            },
            "download" => ItemKind::Download {
                link_hours: row.link_hours.unwrap_or(24),
            },
            "bundle" => ItemKind::Bundle {
                skus: list(row.skus),
            },
            "rsvp" => ItemKind::Rsvp {
                perks: list(row.perks),
            },
            "pass" => ItemKind::Pass {
                valid_days: row.valid_days.unwrap_or(1),
            },
            "drop" => ItemKind::Drop,
            other => {
                return Err(SalesError::Invalid(format!(
                    "catalogue CSV line {line}: {other:?} is not a kind (print, download, \
                     bundle, rsvp, pass, drop)"
                )));
            }
        };
        let unquote = |s: String| s.strip_prefix('\'').map(str::to_owned).unwrap_or(s);
        items.push(NewItem {
            sku: unquote(row.sku),
            name: unquote(row.name),
            kind,
            price_minor: row.price_minor,
            currency: row.currency.to_uppercase(),
            tax: Tax {
                rate_bp: row.tax_bp.unwrap_or(0),
                inclusive: row.tax_inclusive.unwrap_or(true),
            },
            stock: row.stock,
        });
    }
    Ok(items)
}

/// Writes `items` as catalogue CSV (text cells made safe for spreadsheets).
pub(crate) fn write(items: &[NewItem]) -> String {
    let mut out = HEADER.join(",");
    out.push('\n');
    for item in items {
        let mut row = Row {
            sku: item.sku.clone(),
            name: item.name.clone(),
            price_minor: item.price_minor,
            currency: item.currency.clone(),
            tax_bp: Some(item.tax.rate_bp),
            tax_inclusive: Some(item.tax.inclusive),
            stock: item.stock,
            ..Row::default()
        };
        row.kind = match &item.kind {
            ItemKind::Print { size, copies } => {
                (row.size, row.copies) = (Some(size.clone()), Some(*copies));
                "print"
            }
            ItemKind::Download { link_hours } => {
                row.link_hours = Some(*link_hours);
                "download"
            }
            ItemKind::Bundle { skus } => {
                row.skus = Some(skus.join("|"));
                "bundle"
            }
            ItemKind::Rsvp { perks } => {
                row.perks = Some(perks.join("|"));
                "rsvp"
            }
            ItemKind::Pass { valid_days } => {
                row.valid_days = Some(*valid_days);
                "pass"
            }
            ItemKind::Drop => "drop",
        }
        .into();
        let text = |v: Option<String>| v.unwrap_or_default();
        let num = |v: Option<String>| v.unwrap_or_default();
        let cells = [
            row.sku,
            row.name,
            row.kind,
            row.price_minor.to_string(),
            row.currency,
            num(row.tax_bp.map(|v| v.to_string())),
            num(row.tax_inclusive.map(|v| v.to_string())),
            num(row.stock.map(|v| v.to_string())),
            text(row.size),
            num(row.copies.map(|v| v.to_string())),
            num(row.link_hours.map(|v| v.to_string())),
            text(row.skus),
            text(row.perks),
            num(row.valid_days.map(|v| v.to_string())),
        ];
        let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalogue_goes_through_csv_and_back() -> Result<(), SalesError> {
        let items = vec![
            NewItem {
                sku: "P-4X6".into(),
                name: "Print, 4x6 \"gloss\"".into(),
                kind: ItemKind::Print {
                    size: "4x6".into(),
                    copies: 2,
                },
                price_minor: 1200,
                currency: "EUR".into(),
                tax: Tax {
                    rate_bp: 2000,
                    inclusive: true,
                },
                stock: None,
            },
            NewItem {
                sku: "VIP".into(),
                name: "=VIP tier".into(),
                kind: ItemKind::Rsvp {
                    perks: vec!["bundled print".into(), "backstage Q&A".into()],
                },
                price_minor: 4500,
                currency: "EUR".into(),
                tax: Tax::default(),
                stock: Some(40),
            },
        ];
        let csv = write(&items);
        assert!(csv.contains(",'=VIP tier,"), "{csv}");
        assert_eq!(parse(&csv)?, items);
        // Columns in any order, details left out take their defaults.
        let short = "name,sku,price_minor,currency,kind\nLink,DL,500,usd,download\n";
        let dl = parse(short)?;
        assert_eq!(dl[0].kind, ItemKind::Download { link_hours: 24 });
        assert_eq!(dl[0].currency, "USD");
        assert!(parse("sku,name,kind,price_minor,currency\nX,Y,poster,1,EUR\n").is_err());
        Ok(())
    }
}
