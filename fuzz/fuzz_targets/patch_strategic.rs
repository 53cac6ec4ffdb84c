//! Strategic merge patch: the input is the object, then the patch document. The list rules
//! are those of the object's `kind` (a Deployment's when it names none), as the API server
//! takes them from the resource.
#![no_main]

use berth_api::patch::{BuiltinPatchMeta, strategic_merge_patch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [target, patch] = &berth_fuzz::documents(data, 2)[..] else { return };
    let kind = target.get("kind").and_then(|k| k.as_str()).unwrap_or("Deployment");
    let _ = strategic_merge_patch(target, patch, &BuiltinPatchMeta::for_kind(kind));
});
