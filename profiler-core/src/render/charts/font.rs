//! Fonts: DejaVu Sans compiled into the binary for every chart, and a font with
//! Hangul for Korean charts (the configured one, else a common system location).

use plotters::style::{register_font, FontStyle};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

/// Family name the embedded DejaVu Sans is registered under.
pub(super) const LATIN: &str = "sans-serif";
/// Family name a Korean font is registered under.
pub(super) const HANGUL: &str = "profiler-hangul";

/// Where Korean fonts usually live (Debian/Ubuntu, Fedora/Arch, macOS, Windows).
pub(super) const HANGUL_FONT_LOCATIONS: &[&str] = &[
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/nanum/NanumGothic.ttf",
    "/usr/share/fonts/naver-nanum/NanumGothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansKR-Regular.otf",
    "/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf",
    "/usr/share/fonts/truetype/baekmuk/gulim.ttf",
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
    "/Library/Fonts/NanumGothic.ttf",
    "C:\\Windows\\Fonts\\malgun.ttf",
];

pub(super) fn register_embedded() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // DejaVu's own files: parsing them cannot fail.
        let _ = register_font(LATIN, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(LATIN, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Why a font file cannot serve Korean charts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FontError {
    /// The file cannot be read.
    #[error("cannot read it ({0})")]
    Unreadable(String),
    /// Not a font.
    #[error("not a TrueType/OpenType font")]
    NotAFont,
    /// A font without Hangul.
    #[error("it has no Hangul glyphs")]
    NoHangul,
}

/// Why Korean charts use English labels.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoHangulFont {
    /// The configured font cannot be used.
    #[error("chart font {}: {why}; charts use English labels (set PROFILER_CHART_FONT to a .ttf/.otf/.ttc with Hangul, e.g. NanumGothic)", path.display())]
    Configured {
        /// The configured font.
        path: PathBuf,
        /// Why it cannot be used.
        why: FontError,
    },
    /// No usable font in the common locations.
    #[error("no font with Hangul found; charts use English labels (install fonts-nanum or set PROFILER_CHART_FONT to a .ttf/.otf/.ttc with Hangul)")]
    NotFound,
}

/// Registers a font with Hangul (the configured one, else the first found in a common
/// location) and returns its family name, or says why there is none.
pub(super) fn hangul_family(configured: Option<&Path>) -> Result<&'static str, NoHangulFont> {
    // Font files are leaked to give plotters the `'static` bytes it needs, so each path
    // is loaded once per process, however many reports are drawn.
    static LOADED: Mutex<Option<HashMap<PathBuf, Result<(), FontError>>>> = Mutex::new(None);
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let loaded = loaded.get_or_insert_with(HashMap::new);
    let mut try_path = |path: &Path| -> Result<&'static str, FontError> {
        let outcome = loaded
            .entry(path.to_path_buf())
            .or_insert_with(|| register_hangul(path))
            .clone();
        outcome.map(|_| HANGUL)
    };
    match configured {
        Some(path) => try_path(path).map_err(|why| NoHangulFont::Configured {
            path: path.to_path_buf(),
            why,
        }),
        None => HANGUL_FONT_LOCATIONS
            .iter()
            .map(Path::new)
            .filter(|p| p.is_file())
            .find_map(|p| try_path(p).ok())
            .ok_or(NoHangulFont::NotFound),
    }
}

fn register_hangul(path: &Path) -> Result<(), FontError> {
    use ab_glyph::Font;
    let bytes = std::fs::read(path).map_err(|e| FontError::Unreadable(e.to_string()))?;
    let font = ab_glyph::FontRef::try_from_slice(&bytes).map_err(|_| FontError::NotAFont)?;
    if ['한', '글'].iter().any(|c| font.glyph_id(*c).0 == 0) {
        return Err(FontError::NoHangul);
    }
    drop(font);
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    register_font(HANGUL, FontStyle::Normal, bytes).map_err(|_| FontError::NotAFont)?;
    // Titles read better in bold: use the family's bold file when it sits beside the
    // regular one (NanumGothic.ttf / NanumGothicBold.ttf, *-Regular / *-Bold).
    if let (Some(stem), Some(ext)) = (
        path.file_stem().and_then(|s| s.to_str()),
        path.extension().and_then(|s| s.to_str()),
    ) {
        let bold = if stem.contains("Regular") {
            stem.replace("Regular", "Bold")
        } else {
            format!("{stem}Bold")
        };
        let bold = path.with_file_name(format!("{bold}.{ext}"));
        if let Ok(bytes) = std::fs::read(&bold) {
            if ab_glyph::FontRef::try_from_slice(&bytes).is_ok_and(|f| f.glyph_id('한').0 != 0) {
                let _ = register_font(HANGUL, FontStyle::Bold, Box::leak(bytes.into_boxed_slice()));
            }
        }
    }
    Ok(())
}

/// Says once per process why Korean charts use English labels.
pub(super) fn note_once(why: &NoHangulFont) {
    static NOTED: AtomicBool = AtomicBool::new(false);
    if !NOTED.swap(true, Ordering::Relaxed) {
        crate::status::line(format_args!("profiler: {why}"));
    }
}
