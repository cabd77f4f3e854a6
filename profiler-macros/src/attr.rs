//! Parsing `#[profile(...)]` arguments into a typed struct. Every mistake is a
//! `syn::Error` spanned at the offending argument.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprUnary, Lit, LitStr, Meta, Token, UnOp};

/// Label keys accepted directly as arguments (others go in `labels(...)`).
const LABEL_KEYS: &[&str] = &["provider", "model", "device", "stage", "version"];

const EXPECTED: &str = "expected one of: component = \"..\", name = \"..\", target_ms = N, first_item, frame, warmup = N, provider = \"..\", model = \"..\", labels(key = \"..\", ..)";

/// The arguments of one `#[profile]`.
#[derive(Default)]
pub struct Args {
    pub component: Option<LitStr>,
    pub name: Option<LitStr>,
    pub target_ms: Option<f64>,
    pub first_item: Option<Span>,
    pub frame: Option<Span>,
    pub warmup: Option<u64>,
    pub labels: Vec<(String, LitStr)>,
}

/// Longest name or label the profiler records (as `model::text` in profiler-core).
const MAX_NAME_CHARS: usize = 128;

/// Characters a name must not hold: they would reach terminals and reports (escapes,
/// newlines, invisible and direction-changing characters).
fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
        )
}

fn lit_str(e: &Expr, key: &str) -> syn::Result<LitStr> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => {
            let value = s.value();
            if value.trim().is_empty() {
                Err(syn::Error::new(
                    s.span(),
                    format!("`{key}` must not be empty"),
                ))
            } else if let Some(c) = value.chars().find(|c| unprintable(*c)) {
                Err(syn::Error::new(
                    s.span(),
                    format!(
                        "`{key}` must be printable text: it holds U+{:04X}, which would reach terminals and reports",
                        c as u32
                    ),
                ))
            } else if value.chars().count() > MAX_NAME_CHARS {
                Err(syn::Error::new(
                    s.span(),
                    format!("`{key}` must be at most {MAX_NAME_CHARS} characters"),
                ))
            } else {
                Ok(s.clone())
            }
        }
        other => Err(syn::Error::new(
            other.span(),
            format!("`{key}` expects a string literal, e.g. {key} = \"tts\""),
        )),
    }
}

const NEGATIVE: &str =
    "`target_ms` must be positive: a target is the P95 latency budget in milliseconds";

fn positive_number(e: &Expr) -> syn::Result<f64> {
    let bad = |span: Span| {
        syn::Error::new(span, "`target_ms` expects a positive number of milliseconds, e.g. target_ms = 200 or target_ms = 16.7")
    };
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => {
            // `-200` may arrive as one negative literal.
            let v: f64 = i.base10_parse()?;
            if v < 0.0 {
                Err(syn::Error::new(i.span(), NEGATIVE))
            } else if v > 0.0 {
                Ok(v)
            } else {
                Err(bad(i.span()))
            }
        }
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => {
            let v: f64 = f.base10_parse()?;
            if v < 0.0 {
                Err(syn::Error::new(f.span(), NEGATIVE))
            } else if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(bad(f.span()))
            }
        }
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_), ..
        }) => Err(syn::Error::new(e.span(), NEGATIVE)),
        other => Err(bad(other.span())),
    }
}

fn whole_number(e: &Expr, key: &str) -> syn::Result<u64> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse(),
        other => Err(syn::Error::new(
            other.span(),
            format!("`{key}` expects a whole number of calls, e.g. {key} = 3"),
        )),
    }
}

impl Args {
    fn set<T>(slot: &mut Option<T>, value: T, span: Span, key: &str) -> syn::Result<()> {
        if slot.is_some() {
            return Err(syn::Error::new(span, format!("`{key}` is given twice")));
        }
        *slot = Some(value);
        Ok(())
    }

    fn add_label(&mut self, key: String, value: LitStr, span: Span) -> syn::Result<()> {
        if self.labels.iter().any(|(k, _)| *k == key) {
            return Err(syn::Error::new(
                span,
                format!("label `{key}` is given twice"),
            ));
        }
        self.labels.push((key, value));
        Ok(())
    }
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
        for meta in metas {
            let span = meta.span();
            let key = meta
                .path()
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            match (&meta, key.as_str()) {
                (Meta::NameValue(nv), "component") => {
                    let v = lit_str(&nv.value, "component")?;
                    Args::set(&mut args.component, v, span, "component")?
                }
                (Meta::NameValue(nv), "name") => {
                    let v = lit_str(&nv.value, "name")?;
                    Args::set(&mut args.name, v, span, "name")?
                }
                (Meta::NameValue(nv), "target_ms") => {
                    let v = positive_number(&nv.value)?;
                    Args::set(&mut args.target_ms, v, span, "target_ms")?
                }
                (Meta::NameValue(nv), "warmup") => {
                    let v = whole_number(&nv.value, "warmup")?;
                    Args::set(&mut args.warmup, v, span, "warmup")?
                }
                (Meta::Path(_), "first_item") => {
                    Args::set(&mut args.first_item, span, span, "first_item")?
                }
                (Meta::Path(_), "frame") => Args::set(&mut args.frame, span, span, "frame")?,
                (Meta::NameValue(nv), k) if LABEL_KEYS.contains(&k) => {
                    let v = lit_str(&nv.value, k)?;
                    args.add_label(k.to_string(), v, span)?
                }
                (Meta::List(list), "labels") => {
                    let inner =
                        list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
                    for m in inner {
                        let Meta::NameValue(nv) = &m else {
                            return Err(syn::Error::new(
                                m.span(),
                                "labels are written key = \"value\"",
                            ));
                        };
                        let Some(k) = nv.path.get_ident() else {
                            return Err(syn::Error::new(
                                nv.path.span(),
                                "a label key is a plain identifier",
                            ));
                        };
                        let v = lit_str(&nv.value, &k.to_string())?;
                        args.add_label(k.to_string(), v, m.span())?;
                    }
                }
                (
                    _,
                    "component" | "name" | "target_ms" | "warmup" | "first_item" | "frame"
                    | "labels",
                )
                | (_, "provider" | "model" | "device" | "stage" | "version") => {
                    return Err(syn::Error::new(
                        span,
                        format!("`{key}` is written the wrong way; {EXPECTED}"),
                    ));
                }
                _ => {
                    let shown = if key.is_empty() {
                        "this argument".to_string()
                    } else {
                        format!("`{key}`")
                    };
                    return Err(syn::Error::new(
                        span,
                        format!("unknown argument {shown}; {EXPECTED}"),
                    ));
                }
            }
        }
        if let (Some(f), Some(_)) = (args.frame, args.first_item) {
            return Err(syn::Error::new(
                f,
                "`frame` and `first_item` cannot be combined",
            ));
        }
        Ok(args)
    }
}
