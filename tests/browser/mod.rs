//! A real browser for tests: headless Chromium driven over the DevTools protocol on its
//! pipe transport (`--remote-debugging-pipe`: JSON messages ended by a NUL byte, read
//! by the browser on its descriptor 3 and written on 4). Nothing but `serde_json` and
//! the standard library: the descriptors are set up by `sh` before it `exec`s Chromium.
//!
//! It opens a page, records what the page did (console messages, uncaught exceptions,
//! the browser's log, every network request), evaluates scripts, clicks with real
//! mouse events, and takes full-page screenshots.
//!
//! Chromium is found as `$CHROMIUM`, else `chromium`, `chromium-browser`,
//! `google-chrome` on the `PATH`. (Not a `PROFILER_` name: those are the profiler's
//! own settings, an unknown one warned about, and child test processes drop them.)
//! Without one a test is skipped with one line, unless `BROWSER_TESTS=required` (as
//! `.ci/run` sets where Chromium is installed).

use base64::Engine;
use serde_json::{json, Value};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long one answer or event may take (a loaded 2-core machine, a 4 MB page).
const WAIT: Duration = Duration::from_secs(90);

/// The flags the browser runs with: headless, as root, and quiet on the network (the
/// background-networking flags stop the browser's own requests).
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
];

/// One browser at a time: the machine has two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The Chromium binary to use, if any.
pub fn find() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|p| p.is_file())
}

/// A started browser, or `None` where there is none and the browser tests are not
/// required: then one line on stderr, once per test binary, says they were skipped
/// and why (written past the test harness's capture, so it is seen).
pub fn launch_or_skip(test: &str) -> Option<Browser> {
    let Some(bin) = find() else {
        if std::env::var("BROWSER_TESTS").as_deref() == Ok("required") {
            panic!("{test}: BROWSER_TESTS=required but no Chromium was found");
        }
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "browser tests skipped: no Chromium found (apt-get install chromium, or set CHROMIUM)"
            );
        });
        return None;
    };
    Some(Browser::launch(&bin).unwrap_or_else(|e| panic!("{test}: {e}")))
}

/// A headless Chromium with one page open at a time.
pub struct Browser {
    child: Child,
    input: ChildStdin,
    output: Receiver<Value>,
    next_id: u64,
    /// Every event received, in order.
    events: Vec<Value>,
    /// The open page's session, and where its events begin in `events`.
    page: Option<(String, usize)>,
    profile: PathBuf,
    log: PathBuf,
    _turn: MutexGuard<'static, ()>,
}

/// A screenshot, decoded.
pub struct Shot {
    pub width: u32,
    pub height: u32,
    /// RGBA, row by row.
    pub rgba: Vec<u8>,
}

impl Shot {
    /// The colour at `(x, y)`.
    pub fn at(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        [
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        ]
    }

    /// Pixels inside `(x, y, w, h)` whose colour is within `tolerance` of `rgb`.
    pub fn count(&self, (x, y, w, h): (u32, u32, u32, u32), rgb: [u8; 3], tolerance: u8) -> usize {
        let mut n = 0;
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                let p = self.at(xx, yy);
                if (0..3).all(|c| p[c].abs_diff(rgb[c]) <= tolerance) {
                    n += 1;
                }
            }
        }
        n
    }
}

impl Browser {
    /// Starts `bin` headless with a new, empty profile.
    pub fn launch(bin: &Path) -> Result<Browser, String> {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        static N: AtomicUsize = AtomicUsize::new(0);
        let profile = std::env::temp_dir().join(format!(
            "profiler-chromium-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&profile);
        fs::create_dir_all(&profile).map_err(|e| format!("{}: {e}", profile.display()))?;
        let log = profile.with_extension("log");
        let stderr = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = Command::new("sh")
            .arg("-c")
            // Our stdin pipe becomes its descriptor 3, our stdout pipe its 4.
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2"#)
            .arg(bin)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let input = child.stdin.take().expect("piped stdin");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(out);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if buf.last() == Some(&0) {
                            buf.pop();
                        }
                        if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                            if tx.send(v).is_err() {
                                break;
                            }
                        }
                    }
                }
            }
        });
        let mut b = Browser {
            child,
            input,
            output,
            next_id: 0,
            events: Vec::new(),
            page: None,
            profile,
            log,
            _turn: turn,
        };
        b.call(None, "Browser.getVersion", json!({}))
            .map_err(|e| format!("Chromium at {} did not answer: {e}", bin.display()))?;
        Ok(b)
    }

    /// The last lines Chromium wrote on stderr (for failure messages).
    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(12)..].join("\n")
    }

    fn recv(&mut self, deadline: Instant) -> Result<Value, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.output.recv_timeout(left).map_err(|e| {
            let why = match e {
                RecvTimeoutError::Timeout => "no answer from Chromium in time",
                RecvTimeoutError::Disconnected => "Chromium closed its pipe",
            };
            format!("{why}; its log ends:\n{}", self.log_tail())
        })
    }

    /// Sends `method` (to the page's session when `session` is given) and returns its
    /// result; events that arrive meanwhile are kept.
    pub fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).expect("a JSON message");
        bytes.push(0);
        self.input
            .write_all(&bytes)
            .and_then(|_| self.input.flush())
            .map_err(|e| format!("{method}: {e}; Chromium's log ends:\n{}", self.log_tail()))?;
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self.recv(deadline).map_err(|e| format!("{method}: {e}"))?;
            if m.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(err) = m.get("error") {
                    return Err(format!("{method}: {err}"));
                }
                return Ok(m.get("result").cloned().unwrap_or(Value::Null));
            }
            self.events.push(m);
        }
    }

    fn session(&self) -> String {
        self.page.as_ref().expect("a page is open").0.clone()
    }

    /// Calls `method` on the open page.
    pub fn page_call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let s = self.session();
        self.call(Some(&s), method, params)
    }

    /// Waits for the open page's event `method`.
    fn wait_event(&mut self, method: &str) -> Result<Value, String> {
        let (session, since) = self.page.clone().expect("a page is open");
        let is = |m: &Value| {
            m["method"] == method && m.get("sessionId").and_then(Value::as_str) == Some(&session)
        };
        if let Some(m) = self.events[since..].iter().find(|m| is(m)) {
            return Ok(m.clone());
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self
                .recv(deadline)
                .map_err(|e| format!("waiting for {method}: {e}"))?;
            self.events.push(m.clone());
            if is(&m) {
                return Ok(m);
            }
        }
    }

    /// Opens `url` in a new tab `width` CSS pixels wide, with the console, the log and
    /// the network watched from before the first byte, and waits for its load event.
    pub fn open(&mut self, url: &str, width: u32) -> Result<(), String> {
        let target = self.call(None, "Target.createTarget", json!({ "url": "about:blank" }))?;
        let target = target["targetId"]
            .as_str()
            .ok_or("no targetId")?
            .to_string();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target, "flatten": true }),
        )?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or("no sessionId")?
            .to_string();
        self.page = Some((session, self.events.len()));
        for domain in [
            "Page.enable",
            "Runtime.enable",
            "Log.enable",
            "Network.enable",
        ] {
            self.page_call(domain, json!({}))?;
        }
        self.viewport(width, 900)?;
        let nav = self.page_call("Page.navigate", json!({ "url": url }))?;
        if let Some(e) = nav.get("errorText") {
            return Err(format!("navigating to {url}: {e}"));
        }
        self.wait_event("Page.loadEventFired")?;
        // Let anything the page scheduled on load run and report.
        self.eval("new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")?;
        Ok(())
    }

    fn viewport(&mut self, width: u32, height: u32) -> Result<(), String> {
        self.page_call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
        )
        .map(|_| ())
    }

    /// The value of `expression` on the open page (promises awaited).
    pub fn eval(&mut self, expression: &str) -> Result<Value, String> {
        let r = self.page_call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        )?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(format!("{expression}: {e}"));
        }
        Ok(r["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// A left click at `(x, y)` in the viewport, as a mouse makes it.
    pub fn click(&mut self, x: f64, y: f64) -> Result<(), String> {
        for (kind, buttons) in [("mouseMoved", 0), ("mousePressed", 1), ("mouseReleased", 0)] {
            self.page_call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": buttons, "clickCount": 1 }),
            )?;
        }
        Ok(())
    }

    /// What the open page reported: console errors and warnings, uncaught exceptions,
    /// and the browser's log entries of level warning or error (failed loads, policy
    /// violations).
    pub fn problems(&self) -> Vec<String> {
        let (session, since) = self.page.clone().expect("a page is open");
        self.events[since..]
            .iter()
            .filter(|m| m.get("sessionId").and_then(Value::as_str) == Some(&session))
            .filter_map(|m| {
                let p = &m["params"];
                match m["method"].as_str()? {
                    "Runtime.exceptionThrown" => {
                        Some(format!("exception: {}", p["exceptionDetails"]))
                    }
                    "Runtime.consoleAPICalled"
                        if matches!(p["type"].as_str(), Some("error" | "warning" | "assert")) =>
                    {
                        Some(format!("console.{}: {}", p["type"], p["args"]))
                    }
                    "Log.entryAdded"
                        if matches!(p["entry"]["level"].as_str(), Some("error" | "warning")) =>
                    {
                        Some(format!("log {}: {}", p["entry"]["level"], p["entry"]))
                    }
                    _ => None,
                }
            })
            .collect()
    }

    /// The URL of every request the open page made (its own document included).
    pub fn requests(&self) -> Vec<String> {
        let (session, since) = self.page.clone().expect("a page is open");
        self.events[since..]
            .iter()
            .filter(|m| {
                m["method"] == "Network.requestWillBeSent"
                    && m.get("sessionId").and_then(Value::as_str) == Some(&session)
            })
            .map(|m| {
                m["params"]["request"]["url"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string()
            })
            .collect()
    }

    /// A screenshot of the whole page `width` pixels wide (the viewport is made as
    /// tall as the page), written to `path` and decoded.
    pub fn screenshot(&mut self, width: u32, path: &Path) -> Result<Shot, String> {
        self.viewport(width, 900)?;
        let metrics = self.page_call("Page.getLayoutMetrics", json!({}))?;
        let height = metrics["cssContentSize"]["height"]
            .as_f64()
            .ok_or("no content size")?;
        self.screenshot_top(width, height.ceil() as u32, path)
    }

    /// A screenshot of the top `height` pixels of the page, `width` wide.
    pub fn screenshot_top(&mut self, width: u32, height: u32, path: &Path) -> Result<Shot, String> {
        self.eval("window.scrollTo(0, 0)")?;
        self.viewport(width, height)?;
        let shot = self.page_call("Page.captureScreenshot", json!({ "format": "png" }))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().ok_or("no screenshot data")?)
            .map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        fs::write(path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
        buf.truncate(info.buffer_size());
        let rgba = match (info.color_type, info.bit_depth) {
            (png::ColorType::Rgba, png::BitDepth::Eight) => buf,
            (png::ColorType::Rgb, png::BitDepth::Eight) => buf
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            (c, d) => return Err(format!("unexpected PNG {c:?} {d:?}")),
        };
        Ok(Shot {
            width: info.width,
            height: info.height,
            rgba,
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ids are 32-bit integers to Chromium; an id past that is never answered.
        let _ = self.call(None, "Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = fs::remove_dir_all(&self.profile);
        let _ = fs::remove_file(&self.log);
    }
}

/// `path` as a `file://` URL.
pub fn file_url(path: &Path) -> String {
    let abs = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", abs.display())
}
