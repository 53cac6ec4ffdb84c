//! JSON merge patch (RFC 7386): the input is the object, then the patch document. A merge
//! patch is idempotent, so applying it again to its own result must change nothing.
#![no_main]

use berth_api::patch::merge_patch;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [target, patch] = &berth_fuzz::documents(data, 2)[..] else { return };
    if let Ok(patched) = merge_patch(target, patch) {
        let again = merge_patch(&patched, patch);
        assert_eq!(again.as_ref(), Ok(&patched), "a merge patch applied twice differs");
    }
});
