//! Fuzz the Helm-style merge: two YAML documents (split at the first NUL
//! byte) merged as two layers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nexus::fuzzing::merge(data);
});
