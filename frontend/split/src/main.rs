//! `wasm-split <frontend.wasm> <pkg dir> <bundle name>`: splits the linked hydrate bundle at
//! every `#[lazy]`/`#[lazy_route]` split point (the same transform cargo-leptos runs for
//! `--split`, which we do not use: see `../shared/docs/toolchain.md`). Writes the chunks,
//! the loader `__wasm_split.______________________.js` (the name Leptos' `HydrationScripts`
//! expects when file names are not hashed), `__wasm_split_manifest.json` (which chunks each
//! split point needs, so the server render can preload the page's own) and the main module
//! `<bundle name>_split.wasm` for wasm-bindgen.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, pkg, name] = args.as_slice() else {
        eprintln!("usage: wasm-split <frontend.wasm> <pkg dir> <bundle name>");
        return ExitCode::from(2);
    };
    match run(input, PathBuf::from(pkg), name) {
        Ok(n) => {
            println!("wasm-split: {n} chunks");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wasm-split: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(input: &str, pkg: PathBuf, name: &str) -> Result<usize, Box<dyn std::error::Error>> {
    let wasm = std::fs::read(input)?;
    std::fs::create_dir_all(&pkg)?;
    let main_out = pkg.join(format!("{name}_split.wasm"));
    let main_module = format!("./{name}.js");
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&wasm);
        opts.output_dir = &pkg;
        opts.main_out_path = &main_out;
        opts.main_module = &main_module;
        opts.link_name = "./__wasm_split.______________________.js";
        opts
    })?;
    std::fs::write(pkg.join("__wasm_split_manifest.json"), serde_json::to_string_pretty(&split.prefetch_map)?)?;
    // wasm-bindgen strips the main module; the chunks keep their symbol names otherwise (3/4
    // of their bytes), which the browser never reads.
    for chunk in &split.split_modules {
        let bytes = std::fs::read(chunk)?;
        std::fs::write(chunk, without_custom_sections(&bytes)?)?;
    }
    Ok(split.split_modules.len())
}

/// The module without its custom sections (id 0: names, producers, target features).
fn without_custom_sections(wasm: &[u8]) -> Result<Vec<u8>, String> {
    const HEADER: usize = 8;
    if wasm.len() < HEADER || &wasm[..4] != b"\0asm" {
        return Err("not a wasm module".into());
    }
    let mut out = wasm[..HEADER].to_vec();
    let mut at = HEADER;
    while at < wasm.len() {
        let id = wasm[at];
        let (size, body) = leb128(wasm, at + 1).ok_or("truncated section header")?;
        let end = body.checked_add(size).filter(|e| *e <= wasm.len()).ok_or("truncated section")?;
        if id != 0 {
            out.extend_from_slice(&wasm[at..end]);
        }
        at = end;
    }
    Ok(out)
}

/// An unsigned LEB128 at `at`: (value, offset after it).
fn leb128(bytes: &[u8], mut at: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(at)?;
        at += 1;
        value |= usize::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some((value, at));
        }
    }
    None
}
