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
#[cfg_attr(test, derive(PartialEq))]
#[serde(rename_all = "camelCase")]
pub(super) struct WireGrounding {
    #[serde(default)]
    grounding_chunks: Option<Vec<WireChunk>>,
    #[serde(default)]
    grounding_supports: Option<Vec<WireSupport>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(PartialEq))]
struct WireChunk {
    #[serde(default)]
    web: Option<WireWeb>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(PartialEq))]
struct WireWeb {
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(PartialEq))]
#[serde(rename_all = "camelCase")]
struct WireSupport {
    #[serde(default)]
    segment: Option<WireSegment>,
    #[serde(default)]
    grounding_chunk_indices: Option<Vec<u64>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(PartialEq))]
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
        let mut cited = Vec::new();
        for support in self.grounding_supports.as_deref().unwrap_or_default() {
            let seg = support.segment.clone().unwrap_or_default();
            let span = (seg.start_index.unwrap_or(0), seg.end_index.unwrap_or(0));
            for i in support.grounding_chunk_indices.as_deref().unwrap_or_default() {
                let web = usize::try_from(*i).ok().and_then(|i| chunks.get(i)).and_then(|c| c.web.as_ref());
                let Some(url) = web.and_then(|w| w.uri.as_deref()).filter(|u| !u.is_empty()) else { continue };
                if cited.len() == MAX_ANNOTATIONS {
                    break;
                }
                cited.push((span, url, web.and_then(|w| w.title.as_deref()).unwrap_or_default()));
            }
        }
        let offsets = char_offsets(text, cited.iter().flat_map(|((s, e), _, _)| [*s, *e]).collect());
        cited
            .into_iter()
            .map(|((s, e), url, title)| Annotation::url_citation(url, title, offsets[&s], offsets[&e]))
            .collect()
    }
}

/// The character offset of each byte offset in `bytes`, clamped to the text and moved back to a
/// character boundary; one pass over the text, however many offsets (the wire can name many).
fn char_offsets(text: &str, mut bytes: Vec<u64>) -> std::collections::HashMap<u64, u64> {
    bytes.sort_unstable();
    bytes.dedup();
    let mut out = std::collections::HashMap::with_capacity(bytes.len());
    let mut chars = text.char_indices().map(|(at, _)| at).chain(std::iter::once(text.len())).enumerate().peekable();
    let mut last = 0u64;
    for b in bytes {
        let at = usize::try_from(b).unwrap_or(usize::MAX).min(text.len());
        while let Some(&(n, start)) = chars.peek() {
            if start > at {
                break;
            }
            last = n as u64;
            chars.next();
        }
        out.insert(b, last);
    }
    out
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
