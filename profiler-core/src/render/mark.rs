//! How a verdict reads at a glance, in every renderer alike: ✓ good, ⚠ warning, ✗
//! critical. The mark is read off the verdict `analyse` gave; nothing is judged here.

use crate::model::{LeakVerdict, Severity};

/// How a figure reads against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// ✓
    Good,
    /// ⚠
    Warning,
    /// ✗
    Critical,
}

impl Mark {
    /// Warning and Medium read as warning; High and Critical as critical.
    pub fn of(s: Severity) -> Mark {
        match s {
            Severity::Good => Mark::Good,
            Severity::Warning | Severity::Medium => Mark::Warning,
            Severity::High | Severity::Critical => Mark::Critical,
        }
    }

    /// An optional verdict: none reads as good.
    pub fn of_opt(s: Option<Severity>) -> Mark {
        s.map_or(Mark::Good, Mark::of)
    }

    /// No verdict reads as good, a suspected leak as warning, a certain one as critical.
    pub fn of_leak(v: Option<LeakVerdict>) -> Mark {
        match v {
            None => Mark::Good,
            Some(LeakVerdict::Suspected) => Mark::Warning,
            Some(LeakVerdict::Certain) => Mark::Critical,
        }
    }

    /// `✓`, `⚠` or `✗`.
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Good => "✓",
            Mark::Warning => "⚠",
            Mark::Critical => "✗",
        }
    }
}
