//! `InCall`: the future wrapper of an `async fn` body under `#[profile]`: enters the
//! call's span and charges allocations to the component on each poll, so neither is
//! held across an `.await` or left behind on a thread the task moved away from.

use super::call::Call;
use super::context::ChargeTo;
use super::mode;
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tracing::Span;

pin_project! {
    /// See the module docs.
    pub struct InCall<F> {
        #[pin]
        inner: F,
        span: Span,
        slot: u32,
    }
}

impl<F> InCall<F> {
    /// Wraps the body future of `call`.
    #[inline(always)]
    pub fn new(inner: F, call: &Call, span: Span) -> Self {
        InCall {
            inner,
            span,
            slot: call.slot(),
        }
    }
}

impl<F: Future> Future for InCall<F> {
    type Output = F::Output;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _enter = this.span.enter();
        if *this.slot != 0 && mode::alloc_counting() {
            let _charge = ChargeTo::new(*this.slot);
            this.inner.poll(cx)
        } else {
            this.inner.poll(cx)
        }
    }
}
