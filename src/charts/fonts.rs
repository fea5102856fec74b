//! Embedded fonts for plotters, so charts render on machines without system fonts.
//!
//! plotters is built without its `ttf` feature (that one asks fontconfig for system fonts);
//! with `ab_glyph` it only knows the fonts registered here, one font per (family, style) and
//! no per-glyph fallback. So each language has its own family: English text is drawn with
//! DejaVu Sans (embedded by the `dejavu` crate) under "sans-serif"; Korean text with
//! NanumSquare (assets/fonts/, SIL Open Font License 1.1, vendored unmodified from Debian's
//! `fonts-nanum`: Latin, digits and all 11,172 Hangul syllables) under "NanumSquare", the
//! name an SVG viewer with the font installed also finds.
//!
//! **Invariant:** every family name a chart uses is in [`FAMILIES`], and registration happens
//! once per process. The family in use is chosen per drawing call ([`with_lang`]), per thread,
//! so English and Korean charts can be drawn at the same time on different threads.

use crate::labels::Lang;
use plotters::style::{FontStyle, register_font};
use std::cell::Cell;
use std::sync::Once;

/// NanumSquare Regular and Bold (OFL 1.1; licence in assets/fonts/).
pub const NANUM_REGULAR: &[u8] = include_bytes!("../../assets/fonts/NanumSquareR.ttf");
pub const NANUM_BOLD: &[u8] = include_bytes!("../../assets/fonts/NanumSquareB.ttf");

/// The family names the charts use (plotters' `FontFamily::SansSerif` is "sans-serif").
pub const FAMILIES: [&str; 2] = ["sans-serif", FAMILY_KO];

/// The family English charts draw their text with.
pub const FAMILY: &str = "sans-serif";
/// The family Korean charts draw their text with.
pub const FAMILY_KO: &str = "NanumSquare";

static REGISTER: Once = Once::new();

thread_local! {
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::En) };
}

/// The family of a language.
pub fn family(lang: Lang) -> &'static str {
    match lang {
        Lang::En => FAMILY,
        Lang::Ko => FAMILY_KO,
    }
}

/// The language of the chart being drawn on this thread (English outside a drawing call).
pub fn current_lang() -> Lang {
    CURRENT.with(Cell::get)
}

/// The family of the chart being drawn on this thread.
pub fn current_family() -> &'static str {
    family(current_lang())
}

/// Runs `f` with text drawn in `lang`'s family on this thread, then restores the previous one.
pub fn with_lang<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    let before = CURRENT.with(|c| c.replace(lang));
    let out = f();
    CURRENT.with(|c| c.set(before));
    out
}

/// Registers DejaVu Sans and NanumSquare (regular and bold) under their families, exactly once.
///
/// Panics only if the embedded bytes are not a font, which a unit test rules out.
pub fn ensure_registered() {
    REGISTER.call_once(|| {
        let dejavu = [
            (FontStyle::Normal, dejavu::sans::regular()),
            (FontStyle::Bold, dejavu::sans::bold()),
            (FontStyle::Oblique, dejavu::sans::oblique()),
            (FontStyle::Italic, dejavu::sans::oblique()),
        ];
        let nanum = [
            (FontStyle::Normal, NANUM_REGULAR),
            (FontStyle::Bold, NANUM_BOLD),
            (FontStyle::Oblique, NANUM_REGULAR),
            (FontStyle::Italic, NANUM_REGULAR),
        ];
        for (family, fonts) in [(FAMILY, dejavu), (FAMILY_KO, nanum)] {
            for (style, bytes) in fonts {
                if register_font(family, style, bytes).is_err() {
                    panic!("the embedded font of {family} is not a valid font file");
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
        let ko = FontDesc::new(FontFamily::Name(FAMILY_KO), 20.0, FontStyle::Bold);
        let (w, h) = ko
            .box_size("지역별 고용")
            .expect("Korean font is registered");
        assert!(w > 50 && h > 10, "unexpected text box {w}x{h}");
    }

    /// No tofu: every character of every label, region and programme name of a language has
    /// a glyph in the font its charts use (ab_glyph maps a missing character to glyph 0).
    #[test]
    fn every_label_character_has_a_glyph() {
        use ab_glyph::{Font, FontRef};
        for lang in Lang::ALL {
            let bytes: &[&[u8]] = match lang {
                Lang::En => &[dejavu::sans::regular(), dejavu::sans::bold()],
                Lang::Ko => &[NANUM_REGULAR, NANUM_BOLD],
            };
            // Digits, separators and signs the number formats produce.
            let numbers = "0123456789,.-+%×≥≤→–·…()[]/: ";
            for data in bytes {
                let font = FontRef::try_from_slice(data).expect("a valid font");
                let mut missing = std::collections::BTreeSet::new();
                for text in crate::labels::all_texts(lang).into_iter().chain([numbers]) {
                    for c in text.chars().filter(|c| !c.is_control()) {
                        if font.glyph_id(c).0 == 0 {
                            missing.insert(c);
                        }
                    }
                }
                assert!(missing.is_empty(), "{lang}: no glyph for {missing:?}");
            }
        }
    }

    #[test]
    fn with_lang_switches_and_restores_the_family() {
        assert_eq!(current_family(), FAMILY);
        let inside = with_lang(Lang::Ko, current_family);
        assert_eq!(inside, FAMILY_KO);
        assert_eq!(current_family(), FAMILY);
    }
}
