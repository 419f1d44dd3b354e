//! Fuzz target: an admin API request body of arbitrary bytes, decoded as every request type
//! that takes a JSON body (as the `Body` extractor does before any handler runs). Must never
//! panic, whatever the nesting, numbers or escapes.
//!
//! No stronger property is asserted: serde_json skips the fields a type does not know
//! without checking that their strings are UTF-8, so even a body that is not valid UTF-8
//! can decode as a patch type. The handler only ever sees the typed fields, which are.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let accepted = heron_admin::parse_bodies_for_fuzzing(data);
    assert!(accepted <= 16);
});
