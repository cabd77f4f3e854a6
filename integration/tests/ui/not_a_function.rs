#[profiler::profile(component = "stt")]
struct Transcriber;

fn main() {}
