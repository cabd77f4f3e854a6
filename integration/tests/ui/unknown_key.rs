#[profiler::profile(component = "tts", target = 200)]
fn speak() {}

fn main() {}
