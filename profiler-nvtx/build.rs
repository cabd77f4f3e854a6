//! Compiles the NVTX shim (c/shim.c) with NVIDIA's header-only NVTX3 loader
//! (include/nvtx3) using the `cc` crate: a C compiler, no libclang, no CUDA.

fn main() {
    cc::Build::new()
        .file("c/shim.c")
        .include("include")
        // NVIDIA's headers are compiled as they come.
        .warnings(false)
        .compile("profiler_nvtx_shim");
    // The loader opens the tool's library with dlopen (in libc from glibc 2.34, in
    // libdl before).
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-lib=dl");
    }
    println!("cargo:rerun-if-changed=c/shim.c");
    println!("cargo:rerun-if-changed=include");
}
