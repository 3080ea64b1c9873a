//! SKUs for variants that lack one, or share one. Flagshop keys the cart, stock and the CLI on
//! SKUs, so each variant needs its own; real exports leave them out (Shopify's apparel sample
//! has none) or repeat them (one real export has 76 variants on one SKU). The rule, the same
//! on every re-import of the same rows: the first row to use a SKU keeps it; a variant
//! without one, or repeating one already taken, gets one made from its product's handle and
//! its option values (`classic-tee` in Blue / S → `CLASSIC-TEE-BLUE-S`), made unique with a
//! number if it must be. Every such case is reported with its row.

use std::collections::{HashMap, HashSet};

use super::columns::Column;
use super::{CsvCatalogue, Problem};

/// Gives every variant of `catalogue` a SKU of its own, reporting each one it made.
pub fn assign_skus(catalogue: &mut CsvCatalogue) {
    let mut taken: HashMap<String, usize> = HashMap::new();
    let mut needs: Vec<(usize, usize)> = Vec::new();
    for (p, product) in catalogue.products.iter().enumerate() {
        for (v, variant) in product.variants.iter().enumerate() {
            let key = variant.sku.to_uppercase();
            if variant.sku.is_empty() || taken.contains_key(&key) {
                needs.push((p, v));
            } else {
                taken.insert(key, variant.row);
            }
        }
    }
    let mut made: HashSet<String> = HashSet::new();
    for (p, v) in needs {
        let product = &catalogue.products[p];
        let variant = &product.variants[v];
        let base = made_from(&product.handle, &variant.options);
        let mut sku = base.clone();
        let mut n = 2;
        while taken.contains_key(&sku) || made.contains(&sku) {
            sku = format!("{base}-{n}");
            n += 1;
        }
        let message = if variant.sku.is_empty() {
            format!("no SKU: the variant gets {sku}, made from its handle and options")
        } else {
            format!(
                "SKU {} is already used on row {}: this variant gets {sku}",
                variant.sku,
                taken[&variant.sku.to_uppercase()]
            )
        };
        let column = Some(catalogue.header(Column::Sku));
        catalogue
            .problems
            .push(Problem::warning(variant.row, column, message));
        made.insert(sku.clone());
        catalogue.products[p].variants[v].sku = sku;
    }
}

/// `handle` and `options`, upper case, every run of other characters one hyphen.
fn made_from(handle: &str, options: &[String]) -> String {
    let mut out = String::new();
    for part in std::iter::once(handle).chain(options.iter().map(String::as_str)) {
        for c in part.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_uppercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shopify_csv::read_products;

    fn skus(csv: &str) -> (Vec<String>, Vec<(usize, String)>) {
        let mut catalogue = read_products(csv.as_bytes()).unwrap();
        assign_skus(&mut catalogue);
        let skus = catalogue
            .products
            .iter()
            .flat_map(|p| p.variants.iter().map(|v| v.sku.clone()))
            .collect();
        let problems = catalogue
            .problems
            .into_iter()
            .map(|p| (p.row, p.message))
            .collect();
        (skus, problems)
    }

    #[test]
    fn variants_without_a_sku_get_one_from_handle_and_options() {
        let csv = "Handle,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Variant Price\n\
                   classic-tee,Color,Blue,Size,S,10\nclassic-tee,,Blue,,M / L,10\nmug,,,,,5\n";
        let (skus, problems) = skus(csv);
        assert_eq!(skus, ["CLASSIC-TEE-BLUE-S", "CLASSIC-TEE-BLUE-M-L", "MUG"]);
        assert_eq!(problems.len(), 3);
        assert_eq!(problems[0].0, 2);
        assert!(
            problems[0]
                .1
                .contains("no SKU: the variant gets CLASSIC-TEE-BLUE-S")
        );
        // The same rows give the same SKUs on every import.
        assert_eq!(self::skus(csv).0, skus);
    }

    #[test]
    fn a_repeated_sku_stays_with_its_first_row() {
        let csv = "Handle,Option1 Name,Option1 Value,Variant SKU,Variant Price\n\
                   a,Size,S,X-1,1\na,,M,x-1,1\nb,Size,S,X-1,1\nc,Size,S,A-S,1\n";
        let (skus, problems) = skus(csv);
        assert_eq!(skus, ["X-1", "A-M", "B-S", "A-S"]);
        assert!(
            problems[0]
                .1
                .contains("SKU x-1 is already used on row 2: this variant gets A-M")
        );
        assert!(problems[1].1.contains("gets B-S"));
    }

    #[test]
    fn a_made_sku_never_takes_one_the_file_uses() {
        let csv = "Handle,Variant SKU,Variant Price\nmug,,5\nother,MUG,5\n";
        let (skus, _) = skus(csv);
        assert_eq!(skus, ["MUG-2", "MUG"]);
    }
}
