#[profiler::profile(component = "tts", target_ms = -200)]
fn speak() {}

fn main() {}
