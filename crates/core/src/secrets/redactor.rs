/// Replaces known secret values in text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    values: Vec<String>,
}

impl Redactor {
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut values: Vec<String> = values.into_iter().filter(|v| v.len() >= 4).collect();
        // Longest first, so a key that contains another is replaced whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Redactor { values }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), super::REDACTED);
            }
        }
        out
    }

    /// Whether `text` contains any secret value: the final check before anything is written.
    pub fn leaks(&self, text: &[u8]) -> bool {
        self.values.iter().any(|v| memchr::memmem::find(text, v.as_bytes()).is_some())
    }
}
