//! A fast hasher for the maps the frame path reads on every message.
//!
//! Their keys are short (a node name, a message name, a number) and come only from the
//! cluster's own nodes, which hold its NATS credentials, so they need no protection against
//! chosen collisions: FNV-1a, one multiply per byte, instead of the standard SipHash.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a, 64 bits.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.write(&n.to_le_bytes());
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` hashed with [`Fnv`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault};

    use super::Fnv;

    #[test]
    fn it_is_fnv_1a() {
        // The published FNV-1a 64 test vectors.
        let hash = |s: &[u8]| {
            let mut h = BuildHasherDefault::<Fnv>::default().build_hasher();
            std::hash::Hasher::write(&mut h, s);
            std::hash::Hasher::finish(&h)
        };
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
