//! Gemini's grounding with Google Search, as the canonical `annotations`.
//!
//! A grounded candidate carries `groundingMetadata`: the web sources it drew on
//! (`groundingChunks[].web {uri, title}`) and which spans of the answer each supports
//! (`groundingSupports[] {segment {startIndex, endIndex}, groundingChunkIndices}`, offsets in
//! bytes of the answer text). Each support and source pair becomes a `url_citation` over the
//! same span counted in characters, the place Anthropic's web-search citations go too. Indexes
//! from the wire are hostile input: clamped to the text and to character boundaries, and chunk
//! indexes that name no source are skipped.
//! See <https://ai.google.dev/gemini-api/docs/google-search#understanding-the-grounding-response>.

use serde::Deserialize;

use crate::api::Annotation;

/// Most annotations kept from one answer; more is not citation but abuse.
const MAX_ANNOTATIONS: usize = 256;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireGrounding {
    #[serde(default)]
    grounding_chunks: Option<Vec<WireChunk>>,
    #[serde(default)]
    grounding_supports: Option<Vec<WireSupport>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct WireChunk {
    #[serde(default)]
    web: Option<WireWeb>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct WireWeb {
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSupport {
    #[serde(default)]
    segment: Option<WireSegment>,
    #[serde(default)]
    grounding_chunk_indices: Option<Vec<u64>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSegment {
    #[serde(default)]
    start_index: Option<u64>,
    #[serde(default)]
    end_index: Option<u64>,
}

impl WireGrounding {
    /// The url citations of the answer `text`, in the order of the supports.
    pub(super) fn annotations(&self, text: &str) -> Vec<Annotation> {
        let chunks = self.grounding_chunks.as_deref().unwrap_or_default();
        let mut out = Vec::new();
        for support in self.grounding_supports.as_deref().unwrap_or_default() {
            let seg = support.segment.clone().unwrap_or_default();
            let start = char_offset(text, seg.start_index.unwrap_or(0));
            let end = char_offset(text, seg.end_index.unwrap_or(0));
            for i in support.grounding_chunk_indices.as_deref().unwrap_or_default() {
                let web = usize::try_from(*i).ok().and_then(|i| chunks.get(i)).and_then(|c| c.web.as_ref());
                let Some(url) = web.and_then(|w| w.uri.as_deref()).filter(|u| !u.is_empty()) else { continue };
                let title = web.and_then(|w| w.title.as_deref()).unwrap_or_default();
                if out.len() == MAX_ANNOTATIONS {
                    return out;
                }
                out.push(Annotation::url_citation(url, title, start, end));
            }
        }
        out
    }
}

/// The character offset of byte offset `byte` in `text`, clamped to the text and moved back to
/// a character boundary.
fn char_offset(text: &str, byte: u64) -> u64 {
    let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text[..at].chars().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn supports_become_citations_counted_in_characters() {
        let g: WireGrounding = serde_json::from_value(json!({
            "groundingChunks": [{"web": {"uri": "https://a.example", "title": "a.example"}}, {"web": {"uri": "https://b.example", "title": "b.example"}}],
            "groundingSupports": [
                {"segment": {"startIndex": 0, "endIndex": 7, "text": "Größe"}, "groundingChunkIndices": [0, 1]},
                {"segment": {"startIndex": 8, "endIndex": 9999}, "groundingChunkIndices": [7]},
                {"segment": {"startIndex": 3, "endIndex": 8}, "groundingChunkIndices": [1]}
            ]
        }))
        .unwrap();
        let a = g.annotations("Größe ok");
        assert_eq!(
            a,
            vec![
                Annotation::url_citation("https://a.example", "a.example", 0, 5),
                Annotation::url_citation("https://b.example", "b.example", 0, 5),
                // Byte 3 is the second byte of "ö": moved back to where it starts.
                Annotation::url_citation("https://b.example", "b.example", 2, 6),
            ]
        );
    }
}
