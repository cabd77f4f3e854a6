//! `Conversation`: one session of a voice pipeline (a caller, a candidate), whose
//! turns the report groups: turns per session, E2E per session beside the pooled
//! figure, and how many sessions were open at once.
//!
//! (`profiler::Session` is the guard `init()` returns; the report still calls
//! conversations sessions, as voice teams do.)

use super::turn::{turns_recorded, Turn, DEFAULT_RESPONSE};
use super::turn_log::OpenSession;
use crate::model::text::{printable, MAX_SESSION_ID_CHARS};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// One session: open while any clone of it lives; its turns are grouped under its id.
///
/// ```
/// let conversation = profiler_core::Conversation::new("caller-42");
/// let turn = conversation.turn(); // a turn of this session
/// // ... turn.scope(async { transcribe().await; answer(); speak() }).await ...
/// drop(turn);
/// drop(conversation); // the session closes
/// ```
///
/// Clones are the same session (hand one to each task that starts its turns). The
/// report tracks up to 100 sessions one by one per process; later ones are counted, and
/// their turns are in the pooled figures.
#[derive(Clone, Debug)]
pub struct Conversation {
    id: Arc<str>,
    state: Option<Arc<OpenSession>>,
}

impl Conversation {
    /// Opens a session named `id` (its name in the report). The id is kept printable
    /// and bounded (`model::text::printable`, 128 characters), as component names
    /// are: it may come from a caller, and every report shows it.
    pub fn new(id: impl Into<String>) -> Conversation {
        let id: String = id.into();
        let id: Arc<str> = Arc::from(printable(&id, MAX_SESSION_ID_CHARS).as_ref());
        let state = turns_recorded().then(|| Arc::new(OpenSession::open(id.clone())));
        Conversation { id, state }
    }

    /// Opens a session named `session-N` (N counts from 1 in this process).
    pub fn start() -> Conversation {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self::new(format!("session-{}", NEXT.fetch_add(1, Relaxed)))
    }

    /// The session's id, as the report shows it (see [`Conversation::new`]).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Starts a turn of this session whose response is the first item of the `tts`
    /// stream (see [`Turn::start`]).
    pub fn turn(&self) -> Turn {
        self.turn_with_response(DEFAULT_RESPONSE)
    }

    /// Starts a turn of this session whose response is the first item of component
    /// `response`'s stream.
    pub fn turn_with_response(&self, response: &str) -> Turn {
        Turn::begin(response, self.state.clone())
    }
}
