//! The columns of Shopify's product CSV, in every header dialect Shopify has used: the 2019
//! template (no Status), 2021 (Status, Cost per item), 2023 (Product Category, market
//! prices), 2024 exports (`OptionN Linked To`, metafields) and the 2025 format that renamed
//! almost every column (`URL handle`, `Description`, `SKU`, `Price`, `Product image URL`, …).
//! Headers are matched by name, never by position, ignoring case and surrounding spaces.

/// A column Flagshop reads. Anything else (markets, Google Shopping, metafields, unit
/// prices, …) is not imported, and the reader says so once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Handle,
    Title,
    Body,
    Vendor,
    ProductCategory,
    Type,
    Tags,
    Published,
    Status,
    /// Option 1, 2 or 3 (0-based here).
    OptionName(usize),
    OptionValue(usize),
    Sku,
    Grams,
    WeightUnit,
    InventoryQty,
    Price,
    CompareAtPrice,
    CostPerItem,
    Barcode,
    ImageSrc,
    ImagePosition,
    ImageAlt,
    VariantImage,
}

impl Column {
    /// The column a header names, in any dialect.
    pub fn from_header(header: &str) -> Option<Column> {
        let name = header.trim().to_lowercase();
        let option = |rest: &str| -> Option<(usize, String)> {
            let rest = rest.strip_prefix("option")?;
            let digit = rest.chars().next()?.to_digit(10)? as usize;
            (1..=3)
                .contains(&digit)
                .then(|| (digit - 1, rest[1..].trim().to_owned()))
        };
        if let Some((i, what)) = option(&name) {
            return match what.as_str() {
                "name" => Some(Column::OptionName(i)),
                "value" => Some(Column::OptionValue(i)),
                _ => None,
            };
        }
        Some(match name.as_str() {
            "handle" | "url handle" => Column::Handle,
            "title" => Column::Title,
            "body (html)" | "description" => Column::Body,
            "vendor" => Column::Vendor,
            "product category" => Column::ProductCategory,
            "type" => Column::Type,
            "tags" => Column::Tags,
            "published" | "published on online store" => Column::Published,
            "status" => Column::Status,
            "variant sku" | "sku" => Column::Sku,
            "variant grams" | "weight value (grams)" => Column::Grams,
            "variant weight unit" | "weight unit for display" => Column::WeightUnit,
            "variant inventory qty" | "inventory quantity" => Column::InventoryQty,
            "variant price" | "price" => Column::Price,
            "variant compare at price" | "compare-at price" => Column::CompareAtPrice,
            "cost per item" => Column::CostPerItem,
            "variant barcode" | "barcode" => Column::Barcode,
            "image src" | "product image url" => Column::ImageSrc,
            "image position" => Column::ImagePosition,
            "image alt text" => Column::ImageAlt,
            "variant image" | "variant image url" => Column::VariantImage,
            _ => return None,
        })
    }
}

impl Column {
    /// The column's name in Shopify's current (2025) template, which the export writes.
    pub fn current_name(self) -> String {
        self.name(false)
    }

    /// The column's name in the 2023 template older tools read (`--legacy-header`).
    pub fn legacy_name(self) -> String {
        self.name(true)
    }

    fn name(self, legacy: bool) -> String {
        let (current, old) = match self {
            Column::OptionName(i) => {
                return if legacy {
                    format!("Option{} Name", i + 1)
                } else {
                    format!("Option{} name", i + 1)
                };
            }
            Column::OptionValue(i) => {
                return if legacy {
                    format!("Option{} Value", i + 1)
                } else {
                    format!("Option{} value", i + 1)
                };
            }
            Column::Handle => ("URL handle", "Handle"),
            Column::Title => ("Title", "Title"),
            Column::Body => ("Description", "Body (HTML)"),
            Column::Vendor => ("Vendor", "Vendor"),
            Column::ProductCategory => ("Product category", "Product Category"),
            Column::Type => ("Type", "Type"),
            Column::Tags => ("Tags", "Tags"),
            Column::Published => ("Published on online store", "Published"),
            Column::Status => ("Status", "Status"),
            Column::Sku => ("SKU", "Variant SKU"),
            Column::Grams => ("Weight value (grams)", "Variant Grams"),
            Column::WeightUnit => ("Weight unit for display", "Variant Weight Unit"),
            Column::InventoryQty => ("Inventory quantity", "Variant Inventory Qty"),
            Column::Price => ("Price", "Variant Price"),
            Column::CompareAtPrice => ("Compare-at price", "Variant Compare At Price"),
            Column::CostPerItem => ("Cost per item", "Cost per item"),
            Column::Barcode => ("Barcode", "Variant Barcode"),
            Column::ImageSrc => ("Product image URL", "Image Src"),
            Column::ImagePosition => ("Image position", "Image Position"),
            Column::ImageAlt => ("Image alt text", "Image Alt Text"),
            Column::VariantImage => ("Variant image URL", "Variant Image"),
        };
        (if legacy { old } else { current }).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::Column::{self, *};

    #[test]
    fn every_dialect_names_the_same_columns() {
        for (legacy, current, column) in [
            ("Handle", "URL handle", Handle),
            ("Body (HTML)", "Description", Body),
            ("Variant SKU", "SKU", Sku),
            ("Variant Price", "Price", Price),
            (
                "Variant Compare At Price",
                "Compare-at price",
                CompareAtPrice,
            ),
            ("Variant Inventory Qty", "Inventory quantity", InventoryQty),
            ("Variant Grams", "Weight value (grams)", Grams),
            ("Image Src", "Product image URL", ImageSrc),
            ("Variant Image", "Variant image URL", VariantImage),
            ("Option2 Name", "Option2 name", OptionName(1)),
            ("Option3 Value", "option3 value", OptionValue(2)),
        ] {
            assert_eq!(Column::from_header(legacy), Some(column), "{legacy}");
            assert_eq!(Column::from_header(current), Some(column), "{current}");
        }
        assert_eq!(Column::from_header("  STATUS "), Some(Status));
    }

    #[test]
    fn the_names_written_are_the_names_read() {
        let all = [
            Handle,
            Title,
            Body,
            Vendor,
            ProductCategory,
            Type,
            Tags,
            Published,
            Status,
            Sku,
            Grams,
            WeightUnit,
            InventoryQty,
            Price,
            CompareAtPrice,
            CostPerItem,
            Barcode,
            ImageSrc,
            ImagePosition,
            ImageAlt,
            VariantImage,
            OptionName(2),
            OptionValue(1),
        ];
        for column in all {
            assert_eq!(Column::from_header(&column.current_name()), Some(column));
            assert_eq!(Column::from_header(&column.legacy_name()), Some(column));
        }
    }

    #[test]
    fn markets_metafields_and_links_are_not_imported() {
        for header in [
            "Price / United States",
            "Option1 Linked To",
            "Option4 Name",
            "Google Shopping / Gender",
            "Kolor (product.metafields.shopify.color-pattern)",
            "Unit Price Total Measure",
        ] {
            assert_eq!(Column::from_header(header), None, "{header}");
        }
    }
}
