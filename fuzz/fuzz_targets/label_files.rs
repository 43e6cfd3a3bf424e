#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    let _ = juchu_fuzz::label_files(&mut u);
});
