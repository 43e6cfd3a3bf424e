#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| juchu_fuzz::tracking_b2(data));
