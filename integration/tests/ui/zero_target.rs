#[profiler::profile(component = "avatar", target_ms = 0)]
fn render() {}

fn main() {}
