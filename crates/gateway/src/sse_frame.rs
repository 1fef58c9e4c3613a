//! OpenAI's stream framing: `data: {json}\n\n` per chunk, `data: [DONE]\n\n` at the end, and no
//! `event:` lines, whatever the upstream family sent.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

/// The end-of-stream marker.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

/// One `data:` event. serde_json never writes a raw newline inside a value, so the JSON is one
/// line and cannot break the framing.
pub fn data_frame<T: Serialize>(value: &T) -> Bytes {
    let mut buf = BytesMut::with_capacity(256).writer();
    buf.get_mut().put_slice(b"data: ");
    // Serializing the canonical types cannot fail (string keys, finite numbers).
    let _ = serde_json::to_writer(&mut buf, value);
    buf.get_mut().put_slice(b"\n\n");
    buf.into_inner().freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_is_one_data_line() {
        let f = data_frame(&serde_json::json!({"a": "line\nbreak"}));
        assert_eq!(&f[..], b"data: {\"a\":\"line\\nbreak\"}\n\n");
    }
}
