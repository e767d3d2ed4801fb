//! Fuzz the whole pipeline on a small in-memory repository whose app layer
//! (and, after a NUL byte, environment layer) come from the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nexus::fuzzing::render(data);
});
