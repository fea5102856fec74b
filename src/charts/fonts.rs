//! Embedded fonts for plotters, so charts render on machines without system fonts.
//!
//! plotters is built without its `ttf` feature (that one asks fontconfig for system fonts);
//! with `ab_glyph` it only knows the fonts registered here. **Invariant:** every font family
//! name a chart uses is in [`FAMILIES`], and registration happens once per process.

use plotters::style::{FontStyle, register_font};
use std::sync::Once;

/// The family names the charts use (plotters' `FontFamily::SansSerif` is "sans-serif").
pub const FAMILIES: [&str; 1] = ["sans-serif"];

/// The family every chart draws its text with.
pub const FAMILY: &str = "sans-serif";

static REGISTER: Once = Once::new();

/// Registers DejaVu Sans (regular and bold) under every family in [`FAMILIES`], exactly once.
///
/// Panics only if the bytes embedded by the `dejavu` crate are not a font, which a unit test
/// rules out.
pub fn ensure_registered() {
    REGISTER.call_once(|| {
        for family in FAMILIES {
            let fonts = [
                (FontStyle::Normal, dejavu::sans::regular()),
                (FontStyle::Bold, dejavu::sans::bold()),
                (FontStyle::Oblique, dejavu::sans::oblique()),
                (FontStyle::Italic, dejavu::sans::oblique()),
            ];
            for (style, bytes) in fonts {
                if register_font(family, style, bytes).is_err() {
                    panic!("the embedded DejaVu font is not a valid font file");
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::{FontDesc, FontFamily};

    #[test]
    fn registered_family_lays_out_text() {
        ensure_registered();
        ensure_registered(); // a second call is a no-op
        let font = FontDesc::new(FontFamily::Name(FAMILY), 20.0, FontStyle::Normal);
        let (w, h) = font.box_size("Employment").expect("font is registered");
        assert!(w > 50 && h > 10, "unexpected text box {w}x{h}");
    }
}
