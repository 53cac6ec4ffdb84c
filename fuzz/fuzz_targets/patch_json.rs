//! JSON patch (RFC 6902) on any object: the input is the object, then the patch document.
#![no_main]

use berth_api::patch::json_patch;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [target, patch] = &berth_fuzz::documents(data, 2)[..] else { return };
    let _ = json_patch(target, patch);
});
