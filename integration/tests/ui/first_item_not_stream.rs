#[profiler::profile(component = "llm", target_ms = 200, first_item)]
fn answer(prompt: &str) -> String {
    prompt.to_string()
}

#[profiler::profile(component = "llm", first_item)]
fn nothing() {}

fn main() {}
