//! Expansion of `#[profile]` for sync fns, async fns and `first_item` stream fns.
//! Bodies are wrapped, never rewritten: a sync body runs in an immediately called
//! closure (so `return` and `?` keep their meaning), an async body in an `async move`
//! block polled through `InCall` (the span is entered per poll, never held across
//! `.await`).

use crate::attr::Args;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{GenericArgument, ItemFn, LitStr, PathArguments, ReturnType, Type, TypeParamBound};

/// How a `first_item` function hands back its stream.
#[derive(Clone, Copy)]
enum StreamShape {
    /// `impl Stream<..>`: wrap it.
    Impl,
    /// `Pin<Box<dyn Stream ..>>`, `BoxStream`, `LocalBoxStream`: wrap and box again.
    Boxed,
}

fn has_impl(ty: &Type) -> bool {
    fn walk(ts: TokenStream) -> bool {
        ts.into_iter().any(|t| match t {
            TokenTree::Ident(i) => i == "impl",
            TokenTree::Group(g) => walk(g.stream()),
            _ => false,
        })
    }
    walk(ty.to_token_stream())
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

fn first_type_arg(seg: &syn::PathSegment) -> Option<&Type> {
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

fn bounds_name_stream<'a>(mut bounds: impl Iterator<Item = &'a TypeParamBound>) -> bool {
    bounds.any(|b| matches!(b, TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Stream")))
}

fn stream_shape(ty: &Type) -> Option<StreamShape> {
    match ty {
        Type::ImplTrait(t) if bounds_name_stream(t.bounds.iter()) => Some(StreamShape::Impl),
        Type::Group(g) => stream_shape(&g.elem),
        Type::Paren(p) => stream_shape(&p.elem),
        _ => {
            let seg = last_segment(ty)?;
            if seg.ident == "BoxStream" || seg.ident == "LocalBoxStream" {
                return Some(StreamShape::Boxed);
            }
            if seg.ident == "Pin" {
                let boxed = last_segment(first_type_arg(seg)?)?;
                if boxed.ident == "Box" {
                    if let Some(Type::TraitObject(o)) = first_type_arg(boxed) {
                        if bounds_name_stream(o.bounds.iter()) {
                            return Some(StreamShape::Boxed);
                        }
                    }
                }
            }
            None
        }
    }
}

/// `(shape, wrapped in Result)` of a `first_item` return type.
fn stream_return(ty: &Type) -> Option<(StreamShape, bool)> {
    if let Some(s) = stream_shape(ty) {
        return Some((s, false));
    }
    let seg = last_segment(ty)?;
    if seg.ident == "Result" {
        return stream_shape(first_type_arg(seg)?).map(|s| (s, true));
    }
    None
}

pub fn expand(args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = item;
    if let Some(c) = &sig.constness {
        return Err(syn::Error::new(
            c.span(),
            "#[profile] cannot measure a `const fn`",
        ));
    }
    let fn_name = sig.ident.to_string();
    let component = args
        .component
        .clone()
        .unwrap_or_else(|| LitStr::new(&fn_name, sig.ident.span()));
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| LitStr::new(&fn_name, sig.ident.span()));
    let is_async = sig.asyncness.is_some();

    let ret_ty: Option<&Type> = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, t) => Some(t),
    };
    let stream = match (args.first_item, ret_ty) {
        (None, _) => None,
        (Some(span), None) => {
            return Err(syn::Error::new(
                span,
                "`first_item` needs a function that returns a Stream; this one returns `()`",
            ));
        }
        (Some(span), Some(t)) => match stream_return(t) {
            Some(s) => Some(s),
            None => {
                return Err(syn::Error::new(
                    span,
                    format!(
                        "`first_item` needs a function returning `impl Stream<Item = T>`, `BoxStream`, `Pin<Box<dyn Stream>>` (or a `Result` of one); this one returns `{}`",
                        t.to_token_stream()
                    ),
                ));
            }
        },
    };

    let p = quote!(::profiler::__private);
    let kind = if stream.is_some() {
        quote!(FirstItem)
    } else if args.frame.is_some() {
        quote!(Frame)
    } else {
        quote!(Latency)
    };
    let target = match args.target_ms {
        Some(t) => quote!(::core::option::Option::Some(#t)),
        None => quote!(::core::option::Option::None),
    };
    let warmup = match args.warmup {
        Some(w) => quote!(::core::option::Option::Some(#w)),
        None => quote!(::core::option::Option::None),
    };
    let label_pairs: Vec<TokenStream> = args.labels.iter().map(|(k, v)| quote!((#k, #v))).collect();
    let label_fields = args.labels.iter().map(|(k, v)| {
        let ident = syn::Ident::new(k, Span::call_site());
        quote!(#ident = #v)
    });
    let target_field = args.target_ms.map(|t| quote!(target_ms = #t,));
    let site = quote! {
        static __PROFILER_SITE: #p::Site = #p::Site::new(
            #component, #name, #target, #p::Kind::#kind, #warmup, &[#(#label_pairs),*],
        );
    };

    // OpenTelemetry's GenAI attributes from the labels (tracing-opentelemetry exports
    // every field as an attribute); `gen_ai.operation.name` is decided at run time.
    let genai_fields = args.labels.iter().filter_map(|(k, v)| match k.as_str() {
        "provider" => Some(quote!(gen_ai.provider.name = #v,)),
        "model" => Some(quote!(gen_ai.request.model = #v,)),
        _ => None,
    });
    // Read only when a subscriber wants the span: the turn, the session and how the
    // call ended (recorded at its end).
    let span = quote! {
        #p::tracing::info_span!(
            target: ::core::module_path!(), #name,
            component = #component, profiled = true, #target_field #(#label_fields,)*
            turn.id = __profiler_call.turn_id(),
            session.id = __profiler_call.session_id(),
            gen_ai.operation.name = __PROFILER_SITE.genai_operation(),
            #(#genai_fields)*
            outcome = #p::tracing::field::Empty,
            otel.status_code = #p::tracing::field::Empty,
            "error.type" = #p::tracing::field::Empty,
        )
    };
    // How the call ended, and the error's type for an error (autoref specialisation:
    // `Result`s are classified by `ResultOutcome`, anything else is a success).
    let outcome = quote! {{
        #[allow(unused_imports)]
        use #p::{AnyOutcome as _, ResultOutcome as _};
        let __profiler_of = #p::OutcomeOf(&__profiler_out);
        ((&__profiler_of).outcome(), (&__profiler_of).error_type())
    }};
    // The output's type is written out where it can be (it drives `?` inference in the
    // body); `impl Trait` outputs are inferred.
    let annotated = ret_ty.filter(|t| !has_impl(t));
    let let_ty = annotated.map(|t| quote!(: #t));
    let closure_ret = annotated.map(|t| quote!(-> #t));

    // The body is defined once, then either run bare (profiling off, filtered or
    // sampled out: the call costs the mode check and nothing else) or measured.
    let body_def = if is_async {
        quote!(let __profiler_body = async move #block;)
    } else {
        quote!(let __profiler_body = move || #closure_ret #block;)
    };
    let run_bare = if is_async {
        quote!(__profiler_body.await)
    } else {
        quote!(__profiler_body())
    };
    let prologue = match stream {
        // A stream keeps its wrapper type either way (an `impl Stream` has one type).
        Some(_) => quote! {
            #site
            #body_def
            let mut __profiler_call = #p::Call::prepare(&__PROFILER_SITE);
            let __profiler_span = #p::SpanEnd::new(if __profiler_call.is_active() {
                #span
            } else {
                #p::tracing::Span::none()
            });
        },
        None => quote! {
            #site
            #body_def
            let mut __profiler_call = #p::Call::prepare(&__PROFILER_SITE);
            if !__profiler_call.is_active() {
                return #run_bare;
            }
            let __profiler_span = #p::SpanEnd::new(#span);
        },
    };

    let run_body = if is_async {
        quote! {
            __profiler_call.begin_detached();
            let __profiler_out #let_ty = #p::InCall::new(
                __profiler_body, &__profiler_call, ::core::clone::Clone::clone(__profiler_span.span()),
            ).await;
        }
    } else {
        quote! {
            let __profiler_enter = __profiler_span.enter();
            __profiler_call.begin();
            let __profiler_out #let_ty = __profiler_body();
            ::core::mem::drop(__profiler_enter);
        }
    };

    let tail = match stream {
        None => quote! {
            let (__profiler_outcome, __profiler_error) = #outcome;
            __profiler_call.finish(__profiler_outcome);
            __profiler_span.end(__profiler_outcome.error(__profiler_error));
            __profiler_out
        },
        Some((shape, in_result)) => {
            let wrap = |s: TokenStream| {
                let w =
                    quote!(#p::FirstItem::new(#s, __profiler_call, __profiler_span.into_span()));
                match shape {
                    StreamShape::Impl => w,
                    StreamShape::Boxed => quote!(::std::boxed::Box::pin(#w)),
                }
            };
            if in_result {
                let w = wrap(quote!(__profiler_stream));
                quote! {
                    match __profiler_out {
                        ::core::result::Result::Ok(__profiler_stream) => ::core::result::Result::Ok(#w),
                        ::core::result::Result::Err(__profiler_err) => {
                            __profiler_call.finish(#p::Outcome::Error);
                            __profiler_span.end(::core::option::Option::Some(
                                ::core::any::type_name_of_val(&__profiler_err),
                            ));
                            ::core::result::Result::Err(__profiler_err)
                        }
                    }
                }
            } else {
                wrap(quote!(__profiler_out))
            }
        }
    };

    let body_span = block.span();
    let body = if !is_async && stream.is_none() {
        // A sync call: the measured path runs out of line (`measure_sync`), so the
        // unmeasured path keeps the bare function's frame.
        let outcome_of = match annotated {
            Some(t) => quote! {
                |__profiler_out: &#t| {
                    #[allow(unused_imports)]
                    use #p::{AnyOutcome as _, ResultOutcome as _};
                    let __profiler_of = #p::OutcomeOf(__profiler_out);
                    ((&__profiler_of).outcome(), (&__profiler_of).error_type())
                }
            },
            // `impl Trait` outputs are never `Result`s.
            None => quote!(|_| (#p::Outcome::Ok, "")),
        };
        quote_spanned! {body_span=>
            {
                #site
                #body_def
                let __profiler_call = #p::Call::prepare(&__PROFILER_SITE);
                if !__profiler_call.is_active() {
                    return #run_bare;
                }
                #p::measure_sync(
                    __profiler_call,
                    |__profiler_call: &#p::Call| #span,
                    __profiler_body,
                    #outcome_of,
                )
            }
        }
    } else {
        quote_spanned! {body_span=>
            {
                #prologue
                #run_body
                #tail
            }
        }
    };
    Ok(quote! {
        #(#attrs)*
        #vis #sig #body
    })
}
