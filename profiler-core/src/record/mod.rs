//! The hot path: clock, thread-local shards, the call guard, the stream and future
//! wrappers, turns. A call reads one atomic when profiling is off; when on, two clock
//! reads, a thread-local lookup and a histogram bucket bump, with no lock and no
//! allocation.

pub mod call;
pub mod clock;
pub mod component;
pub(crate) mod context;
pub mod future;
pub(crate) mod histogram;
pub mod mode;
pub(crate) mod shard;
pub mod site;
pub(crate) mod slots;
pub mod stream;
pub mod turn;

pub use call::{measure_sync, AnyOutcome, Call, Outcome, OutcomeOf, ResultOutcome};
pub use context::current_alloc_component;
pub use future::InCall;
pub use histogram::new_histogram;
pub use site::Site;
pub use stream::FirstItem;
pub use turn::{InTurn, Turn, TurnScope};
