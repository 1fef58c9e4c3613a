//! A fingerprint's 128-bit digest: what a baseline keeps of each case's fingerprint instead of
//! the fingerprint itself (16 bytes instead of a few hundred), enough to tell "unchanged" from
//! "drifted"; the fingerprint is read again from the baseline file only for the cases that
//! drifted, to show how.

use std::hash::Hasher;

use siphasher::sip128::{Hasher128, SipHasher13};

use crate::fingerprint::Fingerprint;

/// Equal digests mean equal fingerprints (up to a 2⁻¹²⁸ chance): the digest is taken over the
/// compact JSON a fingerprint serializes to, and two fingerprints serialize alike exactly when
/// they are equal (the struct holds no floats and no maps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FingerprintDigest([u64; 2]);

impl FingerprintDigest {
    pub fn of(fingerprint: &Fingerprint) -> FingerprintDigest {
        let mut hasher = HashWriter(SipHasher13::new());
        // Writing to a hasher cannot fail, and a fingerprint always serializes.
        let _ = serde_json::to_writer(&mut hasher, fingerprint);
        // Two words rather than a `u128`: no 16-byte alignment to pad every index entry to.
        let h = hasher.0.finish128();
        FingerprintDigest([h.h1, h.h2])
    }
}

/// Feeds serialized bytes straight into the hasher, with no text in between.
struct HashWriter(SipHasher13);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint(json: serde_json::Value) -> Fingerprint {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn equal_fingerprints_share_a_digest_and_any_change_moves_it() {
        let base = serde_json::json!({"outcome": "success", "finish_reason": "stop",
            "content": {"present": true}, "reasoning": false, "tool_calls": [], "usage": true,
            "stream": null, "error": null, "route": []});
        let a = fingerprint(base.clone());
        assert_eq!(FingerprintDigest::of(&a), FingerprintDigest::of(&a.clone()));
        let mut changed = base.clone();
        changed["finish_reason"] = "length".into();
        assert_ne!(FingerprintDigest::of(&a), FingerprintDigest::of(&fingerprint(changed)));
        let mut changed = base;
        changed["tool_calls"] = serde_json::json!([{"name": "f", "argument_keys": [], "arguments_parse": true}]);
        assert_ne!(FingerprintDigest::of(&a), FingerprintDigest::of(&fingerprint(changed)));
    }
}
