#[profiler::profile(component = "tts", target_ms = "fast")]
fn speak() {}

fn main() {}
