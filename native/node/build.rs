// Node-API symbols resolve from the node binary at load time; keep the library resident
// once loaded (worker threads may load and unload it), and allow the undefined symbols.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--allow-shlib-undefined");
}
