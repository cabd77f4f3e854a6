//! `#[profile]`: measure a function per call into its pipeline component.
//!
//! ```ignore
//! #[profile(component = "tts", target_ms = 200, first_item)]
//! fn speak(text: &str) -> impl Stream<Item = AudioChunk> { .. }
//! ```
//!
//! Arguments: `component = ".."` (default: the function's name), `name = ".."` (span
//! name), `target_ms = N` (P95 target), `first_item` (the function returns a stream;
//! the sample is the time to its first item), `frame` (report achieved FPS),
//! `warmup = N` (leave the first N calls out), labels `provider = ".."`,
//! `model = ".."` or `labels(key = "..", ..)`.
//!
//! Without the `enabled` feature the function is returned untouched.

mod attr;
mod expand;

use proc_macro::TokenStream;

/// Measures every call of the function it annotates (see the crate docs).
#[proc_macro_attribute]
pub fn profile(attr: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(attr as attr::Args);
    let func = match syn::parse::<syn::ItemFn>(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let item2: proc_macro2::TokenStream = item.into();
            return syn::Error::new_spanned(
                item2,
                "#[profile] goes on a function with a body (fn, async fn, or a method in an impl block)",
            )
            .to_compile_error()
            .into();
        }
    };
    if !cfg!(feature = "enabled") {
        return quote::quote!(#func).into();
    }
    expand::expand(args, func)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}
