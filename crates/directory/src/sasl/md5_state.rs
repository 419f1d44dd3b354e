//! HMAC-MD5 from stored intermediate MD5 states, for CRAM-MD5 (RFC 2195).
//!
//! Role: CRAM-MD5 needs HMAC-MD5 keyed with the password. HMAC (RFC 2104 §2)
//! hashes `(K XOR ipad) || text` and then `(K XOR opad) || inner`, where each
//! padded key fills exactly one 64-byte MD5 block. The MD5 chaining value
//! after compressing that one block is therefore all that is needed of the
//! key; storing those two 16-byte states ("contexts") instead of the password
//! lets the server verify CRAM-MD5 without the plaintext.
//!
//! Invariants: a context is the four MD5 state words A, B, C, D written
//! little-endian (RFC 1321 §3.5 byte order), inner context first. The MD5
//! compression and finalisation come from the `md-5` 0.11 crate, which exposes
//! its block-level core; nothing here re-implements MD5. The tests check the
//! result against the `hmac` crate for many keys and messages.

use md5_block::Digest as _;
use md5_block::Md5;
use md5_block::block_api::Md5Core;
use md5_block::digest::array::Array;
use md5_block::digest::block_api::{Buffer, CoreProxy, UpdateCore};
use md5_block::digest::common::hazmat::SerializableState;

/// MD5 block size in bytes (RFC 1321 §3.4: 16 words of 32 bits).
const BLOCK: usize = 64;

/// Compute the inner and outer HMAC-MD5 contexts for `key`.
pub(crate) fn hmac_md5_contexts(key: &[u8]) -> [u8; 32] {
    // RFC 2104 §2: keys longer than B bytes are first hashed with H;
    // shorter keys are padded with zeros to B bytes.
    let mut padded = [0u8; BLOCK];
    if key.len() > BLOCK {
        padded[..16].copy_from_slice(&Md5::digest(key));
    } else {
        padded[..key.len()].copy_from_slice(key);
    }
    // RFC 2104 §2: ipad = 0x36 repeated B times, opad = 0x5C repeated B times.
    let inner = padded.map(|b| b ^ 0x36);
    let outer = padded.map(|b| b ^ 0x5c);
    let mut contexts = [0u8; 32];
    contexts[..16].copy_from_slice(&state_after_block(inner));
    contexts[16..].copy_from_slice(&state_after_block(outer));
    contexts
}

/// HMAC-MD5 of `message` with the key whose contexts are `contexts`.
///
/// `None` only if the crate refuses the rebuilt state, which its current
/// version never does; callers treat it as a failed check.
pub(crate) fn hmac_md5_with_contexts(contexts: &[u8; 32], message: &[u8]) -> Option<[u8; 16]> {
    let (inner_ctx, outer_ctx) = contexts.split_at(16);
    // RFC 2104 §2 step (4): H(K XOR ipad, text)
    let mut inner = resume(inner_ctx)?;
    inner.update(message);
    let inner_hash = inner.finalize();
    // RFC 2104 §2 step (7): H(K XOR opad, result of step 6)
    let mut outer = resume(outer_ctx)?;
    outer.update(inner_hash);
    Some(outer.finalize().into())
}

/// MD5 chaining value after compressing exactly one block from the initial
/// state (RFC 1321 §3.3 initial values, §3.4 one pass over the block).
fn state_after_block(block: [u8; BLOCK]) -> [u8; 16] {
    let mut core = Md5Core::default();
    core.update_blocks(&[Array::from(block)]);
    let serialized = core.serialize();
    let mut state = [0u8; 16];
    state.copy_from_slice(&serialized[..16]);
    state
}

/// A hasher that has already absorbed one block and whose chaining value is
/// `state`. The core's serialised form is the 16 state bytes followed by the
/// block count as a little-endian u64; the message length used for the final
/// padding (RFC 1321 §3.2) counts that one block.
fn resume(state: &[u8]) -> Option<Md5> {
    let mut serialized = [0u8; 24];
    serialized[..16].copy_from_slice(state);
    serialized[16..].copy_from_slice(&1u64.to_le_bytes());
    let core = Md5Core::deserialize(&Array::from(serialized)).ok()?;
    Some(Md5::compose(core, Buffer::<Md5Core>::default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use rand::{Rng, SeedableRng};

    fn reference(key: &[u8], message: &[u8]) -> [u8; 16] {
        let mut mac = Hmac::<md5::Md5>::new_from_slice(key).expect("any key length");
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    fn ours(key: &[u8], message: &[u8]) -> [u8; 16] {
        hmac_md5_with_contexts(&hmac_md5_contexts(key), message).expect("state accepted")
    }

    #[test]
    fn matches_hmac_crate_for_edge_lengths() {
        // Key lengths around the block size (RFC 2104: >64 is hashed first)
        // and message lengths around the padding boundaries (55/56/64 bytes).
        let lengths = [
            0usize, 1, 15, 16, 17, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 300,
        ];
        for &klen in &lengths {
            for &mlen in &lengths {
                let key: Vec<u8> = (0..klen).map(|i| (i * 7 + 3) as u8).collect();
                let msg: Vec<u8> = (0..mlen).map(|i| (i * 13 + 1) as u8).collect();
                assert_eq!(
                    ours(&key, &msg),
                    reference(&key, &msg),
                    "key {klen}, msg {mlen}"
                );
            }
        }
    }

    #[test]
    fn matches_hmac_crate_for_random_inputs() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2195);
        for _ in 0..500 {
            let key: Vec<u8> = (0..rng.gen_range(0..200)).map(|_| rng.r#gen()).collect();
            let msg: Vec<u8> = (0..rng.gen_range(0..300)).map(|_| rng.r#gen()).collect();
            assert_eq!(ours(&key, &msg), reference(&key, &msg));
        }
    }

    #[test]
    fn rfc2104_test_vector() {
        // RFC 2104 appendix: key = 0x0b * 16, data = "Hi There".
        let digest = ours(&[0x0b; 16], b"Hi There");
        assert_eq!(
            crate::password::hex_encode(&digest),
            "9294727a3638bb1c13f48ef8158bfc9d"
        );
    }
}
