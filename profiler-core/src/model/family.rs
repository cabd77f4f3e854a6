//! `Family`: what kind of pipeline stage a component's name names, for its
//! recommendation, its latency label and its OpenTelemetry attributes.

/// The kind of stage a component is, guessed from its name (see [`family`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Speech-to-text (with voice-activity detection).
    Stt,
    /// A language model.
    Llm,
    /// Text-to-speech.
    Tts,
    /// A lip-sync avatar's frames.
    Avatar,
    /// A whole turn, end to end.
    Turn,
    /// Anything else.
    Other,
}

/// Guesses the family from a component name (`stt`, `whisper_asr`, `llm_answer`...).
pub fn family(name: &str) -> Family {
    let n = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    if has(&["turn", "e2e", "end_to_end"]) {
        Family::Turn
    } else if has(&["stt", "asr", "whisper", "vad", "transcri"]) {
        Family::Stt
    } else if has(&["llm", "gpt", "chat", "completion"]) {
        Family::Llm
    } else if has(&["tts", "speech_synth", "voice"]) {
        Family::Tts
    } else if has(&["avatar", "lipsync", "lip_sync", "frame", "render"]) {
        Family::Avatar
    } else {
        Family::Other
    }
}
