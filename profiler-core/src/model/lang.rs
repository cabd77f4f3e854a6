//! `Lang`: the language of the console report, findings and chart labels.

use serde::{Deserialize, Serialize};

/// Language of the console report, findings and chart labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Korean.
    Ko,
}

impl Lang {
    /// Parses `en`/`english`/`ko`/`kr`/`korean` (any case).
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Lang::En),
            "ko" | "kr" | "korean" => Some(Lang::Ko),
            _ => None,
        }
    }
}
