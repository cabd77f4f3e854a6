#[profiler::profile(component = "tts\x1b[2J")]
fn escape() {}

#[profiler::profile(component = "stt\nllm")]
fn newline() {}

fn main() {}
