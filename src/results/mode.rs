use serde::{Deserialize, Serialize};

/// How a case is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    NonStream,
    Stream,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::NonStream => "non_stream",
            Mode::Stream => "stream",
        }
    }

    pub fn is_stream(self) -> bool {
        self == Mode::Stream
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "non_stream" | "non-stream" | "nonstream" => Some(Mode::NonStream),
            "stream" => Some(Mode::Stream),
            _ => None,
        }
    }
}
