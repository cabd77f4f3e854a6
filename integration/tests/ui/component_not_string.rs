#[profiler::profile(component = stt, target_ms = 100)]
fn transcribe() {}

#[profiler::profile(component = "stt", component = "asr")]
fn twice() {}

fn main() {}
