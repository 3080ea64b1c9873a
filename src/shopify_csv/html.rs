//! Descriptions across the border: Shopify keeps them as HTML (`Body (HTML)`), Flagshop as
//! Markdown. Importing sanitises as it converts — scripts, styles, frames, forms and images
//! are dropped, a link keeps its text but loses a target that is not http(s), mailto or a
//! fragment — and keeps paragraphs, lists, bold, italics, headings and links. Exporting renders
//! the Markdown back to HTML with CommonMark, as the storefront shows it.

use std::sync::LazyLock;

use htmd::options::{BulletListMarker, Options};
use htmd::{Element, HtmlToMarkdown};

/// Tags whose content is never text for a shopper.
const DROPPED: [&str; 14] = [
    "script", "style", "iframe", "frame", "object", "embed", "form", "input", "button", "select",
    "textarea", "noscript", "svg", "img",
];

static CONVERTER: LazyLock<HtmlToMarkdown> = LazyLock::new(|| {
    HtmlToMarkdown::builder()
        .options(Options {
            bullet_list_marker: BulletListMarker::Dash,
            ul_bullet_spacing: 1,
            ol_number_spacing: 1,
            ..Options::default()
        })
        .skip_tags(DROPPED.to_vec())
        .add_handler(
            vec!["a"],
            |handlers: &dyn htmd::element_handler::Handlers, element: Element| {
                let safe = element
                    .attrs
                    .iter()
                    .find(|a| &*a.name.local == "href")
                    .is_some_and(|a| safe_link(&a.value));
                if safe {
                    handlers.fallback(element)
                } else {
                    Some(handlers.walk_children(element.node))
                }
            },
        )
        .build()
});

/// A Shopify description as Markdown. HTML that cannot be parsed at all (html5ever accepts
/// nearly anything) is kept as its text.
pub fn html_to_markdown(html: &str) -> String {
    if !html.contains('<') {
        return html.trim().to_owned();
    }
    match CONVERTER.convert(html) {
        Ok(markdown) => markdown.trim().to_owned(),
        Err(_) => html.trim().to_owned(),
    }
}

/// A Markdown description as the HTML Shopify's `Body (HTML)` holds.
pub fn markdown_to_html(markdown: &str) -> String {
    if markdown.trim().is_empty() {
        return String::new();
    }
    let parser = pulldown_cmark::Parser::new(markdown).map(|event| match event {
        // Raw HTML typed into a description is shown as text, never passed on as markup.
        pulldown_cmark::Event::Html(html) | pulldown_cmark::Event::InlineHtml(html) => {
            pulldown_cmark::Event::Text(html)
        }
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    html.trim_end().to_owned()
}

fn safe_link(href: &str) -> bool {
    let href = href.trim().to_ascii_lowercase();
    href.starts_with("http://")
        || href.starts_with("https://")
        || href.starts_with("mailto:")
        || href.starts_with('#')
        || href.starts_with('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_lists_emphasis_and_links_survive() {
        let html = "<p>Hand-sewn <strong>nylon</strong> flag, <em>fade-resistant</em>.</p>\
                    <ul><li>3x5 ft</li><li>brass grommets</li></ul>\
                    <p>See <a href=\"https://example.com/care\" onclick=\"x()\">care</a>.</p>";
        let md = html_to_markdown(html);
        assert_eq!(
            md,
            "Hand-sewn **nylon** flag, *fade-resistant*.\n\n- 3x5 ft\n- brass grommets\n\n\
             See [care](https://example.com/care)."
        );
    }

    #[test]
    fn scripts_styles_and_javascript_links_are_dropped() {
        let html = "<p>Flag</p><script>alert(1)</script><style>p{}</style>\
                    <p><a href=\"javascript:alert(2)\">click</a><img src=x onerror=alert(3)></p>\
                    <iframe src=\"https://evil\"></iframe>";
        let md = html_to_markdown(html);
        assert_eq!(md, "Flag\n\nclick");
    }

    #[test]
    fn plain_text_stays_as_it_is() {
        assert_eq!(
            html_to_markdown("  Ocean blue cotton shirt  "),
            "Ocean blue cotton shirt"
        );
    }

    #[test]
    fn markdown_goes_back_to_html_that_converts_to_the_same_markdown() {
        let md = "Hand-sewn **nylon** flag, *fade-resistant*.\n\n- 3x5 ft\n- brass grommets\n\n\
                  1. one\n2. two\n\nSee [care](https://example.com/care).";
        let html = markdown_to_html(md);
        assert!(html.contains("<strong>nylon</strong>"), "{html}");
        assert!(html.contains("<li>3x5 ft</li>"), "{html}");
        assert_eq!(html_to_markdown(&html), md);
        assert_eq!(
            markdown_to_html("<script>x</script>"),
            "&lt;script&gt;x&lt;/script&gt;"
        );
    }
}
