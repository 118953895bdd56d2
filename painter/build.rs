//! Links the `painter` binary statically, where the C library allows it.
//!
//! A painter's start is on the critical path of every run, and most of a
//! dynamically linked painter's start is the loader's: mapping `libc`,
//! `libm` and `libgcc_s` and relocating against them before `main`
//! (docs/performance.md, "Start-up"). Statically linked, it starts about
//! as fast as `/bin/true`.
//!
//! `-C target-feature=+crt-static` would say so to rustc, but a build
//! script cannot give its own crate that flag, and in `RUSTFLAGS` it
//! reaches the proc macros too, which then cannot be built. So the linker
//! is told instead: `-static-pie`, and a folder of its own searched first,
//! in which each system library that rustc names for a dynamic build
//! (`-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc`, after `-Bdynamic`) is a
//! one-line linker script pointing at that library's static archive.
//! Only the `painter` binary gets these arguments; the library, the tests
//! and the benches link as before.
//!
//! Where a static archive is missing (no `libc.a`: Debian's `libc6-dev`
//! has it, `libgcc_eh.a` comes with gcc), when cross-compiling, where the
//! target is not Linux with glibc, or when `ATELIER_PAINTER_DYNAMIC` is
//! set, the painter is linked dynamically, as before; the build says why
//! in a warning, except for the variable, which asks for it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What rustc links a binary against on `*-linux-gnu` without
/// `crt-static`, and the archive standing in for each. `libgcc_s`, the
/// shared unwinder, has no archive: `libgcc_eh.a` is its static twin.
const LIBRARIES: [(&str, &[&str]); 7] = [
    ("gcc_s", &["libgcc_eh.a", "libgcc.a"]),
    ("util", &["libutil.a"]),
    ("rt", &["librt.a"]),
    ("pthread", &["libpthread.a"]),
    ("m", &["libm.a"]),
    ("dl", &["libdl.a"]),
    // Last on the line, and what libc itself calls from libgcc comes after it.
    ("c", &["libc.a", "libgcc.a", "libgcc_eh.a"]),
];

/// Archives every static glibc link needs; the others (empty since glibc
/// 2.34) may be missing.
const REQUIRED: [&str; 3] = ["libc.a", "libgcc_eh.a", "libgcc.a"];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=ATELIER_PAINTER_DYNAMIC");
    println!("cargo::rerun-if-env-changed=CC");
    if std::env::var_os("ATELIER_PAINTER_DYNAMIC").is_some() {
        return;
    }
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let crt_static =
        std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default().split(',').any(|f| f == "crt-static");
    if os != "linux" || env != "gnu" || crt_static {
        // Already static (`+crt-static` given), or a C library this does not know.
        return;
    }
    if std::env::var("TARGET").ok() != std::env::var("HOST").ok() {
        // `cc` would find this machine's archives, not the target's.
        println!("cargo::warning=the painter is linked dynamically when cross-compiling");
        return;
    }
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else { return };
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    match shims(&cc, &out.join("static")) {
        Ok(dir) => {
            println!("cargo::rustc-link-arg-bin=painter=-L{}", dir.display());
            println!("cargo::rustc-link-arg-bin=painter=-static-pie");
        }
        Err(why) => println!("cargo::warning=the painter is linked dynamically (it starts slower): {why}"),
    }
}

/// Writes, in `dir`, a `lib<name>.so` linker script for each of
/// [`LIBRARIES`] that names its static archives, as `cc` finds them.
fn shims(cc: &str, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let libc = archive(cc, "libc.a")?.ok_or("no libc.a (Debian: apt-get install libc6-dev)")?;
    for (name, archives) in LIBRARIES {
        let mut found = Vec::new();
        for file in archives {
            match archive(cc, file)? {
                Some(path) => found.push(path),
                None if REQUIRED.contains(file) => return Err(format!("{cc} finds no {file}")),
                None => {}
            }
        }
        // A library with no archive (an empty stub in recent glibc) is
        // libc's, which names every symbol it had.
        if found.is_empty() {
            found.push(libc.clone());
        }
        let paths: Vec<String> = found.iter().map(|p| format!("\"{}\"", p.display())).collect();
        let script =
            format!("/* atelier: lib{name} linked statically (painter/build.rs) */\nGROUP ( {} )\n", paths.join(" "));
        let path = dir.join(format!("lib{name}.so"));
        std::fs::write(&path, script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(dir.to_path_buf())
}

/// Where `cc` finds `file`, if it does: `cc -print-file-name` echoes the
/// bare name when it finds nothing.
fn archive(cc: &str, file: &str) -> Result<Option<PathBuf>, String> {
    let output = Command::new(cc)
        .arg(format!("-print-file-name={file}"))
        .output()
        .map_err(|e| format!("cannot run {cc}: {e}"))?;
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let path = PathBuf::from(&printed);
    Ok((output.status.success() && path.is_absolute() && path.is_file()).then(|| path.canonicalize().unwrap_or(path)))
}
