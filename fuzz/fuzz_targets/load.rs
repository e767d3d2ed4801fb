//! Fuzz the layer loader: any bytes, as a layer file, must give a layer or
//! an error, never a panic, a hang or a memory blow-up.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nexus::fuzzing::load(data);
});
