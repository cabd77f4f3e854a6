//! Wrong `#[profile]` arguments are compile errors that point at the argument.

#[test]
fn bad_attribute_arguments_are_spanned_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
