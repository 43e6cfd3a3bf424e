#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| juchu_fuzz::order_json(data));
