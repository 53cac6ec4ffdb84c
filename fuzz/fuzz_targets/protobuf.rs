//! Protobuf request bodies (`application/vnd.kubernetes.protobuf`): the `k8s\0` envelope and
//! the object inside, decoded to JSON. The envelope names the kind; the collection posted to
//! (used only when it names none) is picked by the input's last byte.
#![no_main]

use berth_apiserver::protobuf::decode;
use berth_apiserver::resources::BUILTINS;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pick = data.last().map_or(0, |&byte| usize::from(byte));
    let _ = decode(data, &BUILTINS[pick % BUILTINS.len()]);
});
