//! Every function shape `#[profile]` accepts compiles and behaves as written.

use futures::stream::{self, BoxStream, Stream, StreamExt};
use profiler::profile;
use std::pin::Pin;

#[derive(Debug, PartialEq)]
struct ParseError;

impl From<std::num::ParseIntError> for ParseError {
    fn from(_: std::num::ParseIntError) -> Self {
        ParseError
    }
}

struct Interviewer {
    name: String,
}

impl Interviewer {
    #[profile(component = "shapes_method")]
    fn name(&self) -> &str {
        &self.name
    }

    #[profile(component = "shapes_async_method")]
    async fn greet(&self, who: &str) -> String {
        format!("{} greets {who}", self.name)
    }

    #[profile(component = "shapes_consume")]
    fn into_name(self) -> String {
        self.name
    }
}

#[profile(component = "shapes_question_mark")]
fn parse(s: &str) -> Result<u32, ParseError> {
    let v: u32 = s.trim().parse()?;
    if v == 0 {
        return Err(ParseError);
    }
    Ok(v * 2)
}

#[profile(component = "shapes_async_question_mark")]
async fn parse_async(s: &str) -> Result<u32, ParseError> {
    tokio::task::yield_now().await;
    let v: u32 = s.parse()?;
    Ok(v)
}

#[profile(component = "shapes_generic")]
fn longest<'a, T: AsRef<str> + ?Sized>(a: &'a T, b: &'a T) -> &'a str {
    if a.as_ref().len() >= b.as_ref().len() {
        a.as_ref()
    } else {
        b.as_ref()
    }
}

#[profile(component = "shapes_mut_arg")]
fn push_all(mut v: Vec<u8>, n: u8) -> Vec<u8> {
    for i in 0..n {
        v.push(i);
    }
    v
}

#[profile(component = "shapes_impl_stream", first_item)]
fn tokens(n: usize) -> impl Stream<Item = usize> + Unpin {
    stream::iter(0..n)
}

#[profile(component = "shapes_box_stream", first_item)]
fn boxed(n: usize) -> BoxStream<'static, usize> {
    stream::iter(0..n).boxed()
}

#[profile(component = "shapes_pin_box_stream", first_item)]
fn pinned(n: usize) -> Pin<Box<dyn Stream<Item = usize> + Send>> {
    Box::pin(stream::iter(0..n))
}

#[profile(component = "shapes_result_stream", first_item)]
fn maybe(n: usize) -> Result<impl Stream<Item = usize>, ParseError> {
    if n == 0 {
        return Err(ParseError);
    }
    Ok(stream::iter(0..n))
}

#[profile(component = "shapes_async_stream", first_item)]
async fn connect(n: usize) -> impl Stream<Item = usize> {
    tokio::task::yield_now().await;
    stream::iter(0..n)
}

#[profile]
fn unit_fn() {}

#[tokio::test]
async fn every_shape_keeps_its_behaviour() {
    let i = Interviewer { name: "ada".into() };
    assert_eq!(i.name(), "ada");
    assert_eq!(i.greet("bob").await, "ada greets bob");
    assert_eq!(i.into_name(), "ada");
    assert_eq!(parse("21"), Ok(42));
    assert_eq!(parse("x"), Err(ParseError));
    assert_eq!(parse("0"), Err(ParseError));
    assert_eq!(parse_async("7").await, Ok(7));
    assert_eq!(longest("ab", "abc"), "abc");
    assert_eq!(push_all(vec![9], 3), vec![9, 0, 1, 2]);
    assert_eq!(tokens(3).collect::<Vec<_>>().await, vec![0, 1, 2]);
    assert_eq!(boxed(2).collect::<Vec<_>>().await, vec![0, 1]);
    assert_eq!(pinned(2).collect::<Vec<_>>().await, vec![0, 1]);
    assert_eq!(maybe(2).unwrap().collect::<Vec<_>>().await, vec![0, 1]);
    assert!(maybe(0).is_err());
    assert_eq!(connect(4).await.count().await, 4);
    unit_fn();

    let r = profiler::report();
    let c = |n: &str| r.components.get(n).unwrap_or_else(|| panic!("{n} missing"));
    assert_eq!(c("shapes_question_mark").counts.samples, 1);
    assert_eq!(c("shapes_question_mark").counts.errors, 2);
    assert_eq!(c("shapes_result_stream").counts.errors, 1);
    assert_eq!(c("shapes_impl_stream").stream.as_ref().unwrap().items, 3);
    assert_eq!(c("shapes_async_stream").stream.as_ref().unwrap().items, 4);
    assert_eq!(c("unit_fn").counts.samples, 1);
    assert_eq!(c("shapes_method").functions, vec!["name".to_string()]);
}
