//! The layout rule of the restructure (issue 11): no function in the product's sources runs past
//! about 80 lines unless its doc comment says why it is long. A long function mixing decisions
//! with bookkeeping is what the restructure took apart; this keeps new ones from creeping back.
//!
//! Lines are counted from the `fn` line to its closing brace, with strings, raw strings, char
//! literals and comments blanked first so that their braces do not count.

use std::path::{Path, PathBuf};

/// "About 80": a function a few lines over is not worth splitting for the count alone.
const MAX_LINES: usize = 90;

/// Where the product's code lives: the harness and every crate's `src`, not tests or benches.
fn product_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("src")];
    for e in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        dirs.push(e.path().join("src"));
    }
    let mut files = Vec::new();
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// `src` with every string, char literal and comment replaced by blanks, newlines kept, so that
/// braces can be counted and lines still line up.
fn blank_literals(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let blank = |out: &mut Vec<u8>, s: &[u8]| out.extend(s.iter().map(|&c| if c == b'\n' { b'\n' } else { b' ' }));
    let mut i = 0;
    while i < b.len() {
        let ident_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        let end = if b[i..].starts_with(b"//") {
            b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n)
        } else if b[i..].starts_with(b"/*") {
            find(b, i + 2, b"*/").map_or(b.len(), |n| n + 2)
        } else if !ident_before
            && (b[i..].starts_with(b"r#") || b[i..].starts_with(b"r\"") || b[i..].starts_with(b"br"))
        {
            let start = if b[i] == b'b' { i + 2 } else { i + 1 };
            let hashes = b[start..].iter().take_while(|&&c| c == b'#').count();
            if b.get(start + hashes) == Some(&b'"') {
                let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                find(b, start + hashes + 1, &close).map_or(b.len(), |n| n + close.len())
            } else {
                i + 1
            }
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            (j + 1).min(b.len())
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '\u{..}'); a lifetime has no closing quote nearby.
            let len = if b.get(i + 1) == Some(&b'\\') {
                b.get(i + 3..).and_then(|r| r.iter().take(10).position(|&c| c == b'\'')).map(|n| n + 4)
            } else {
                let c = std::str::from_utf8(&b[i + 1..(i + 5).min(b.len())])
                    .ok()
                    .or_else(|| std::str::from_utf8(&b[i + 1..(i + 2).min(b.len())]).ok())
                    .and_then(|s| s.chars().next());
                c.map(char::len_utf8).filter(|&n| b.get(i + 1 + n) == Some(&b'\'')).map(|n| n + 2)
            };
            len.map_or(i + 1, |n| i + n)
        } else {
            i + 1
        };
        if end == i + 1 && !matches!(b[i], b'"' | b'/') {
            out.push(b[i]);
        } else {
            blank(&mut out, &b[i..end]);
        }
        i = end;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn find(b: &[u8], from: usize, what: &[u8]) -> Option<usize> {
    b.get(from..)?.windows(what.len()).position(|w| w == what).map(|n| from + n)
}

/// Whether a trimmed line starts a function item.
fn is_fn_line(line: &str) -> bool {
    let mut rest = line.trim_start();
    for prefix in ["pub(crate) ", "pub(super) ", "pub ", "const ", "async ", "unsafe ", "extern \"C\" "] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
        rest = rest.trim_start();
    }
    rest.starts_with("fn ")
}

/// Functions longer than `MAX_LINES` without a doc comment saying they are long: `file:line name (n lines)`.
fn long_functions(path: &Path) -> Vec<String> {
    let raw = std::fs::read_to_string(path).unwrap();
    let raw_lines: Vec<&str> = raw.lines().collect();
    let blanked = blank_literals(&raw);
    let lines: Vec<&str> = blanked.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        if !is_fn_line(line) {
            continue;
        }
        let (mut depth, mut opened, mut end) = (0i64, false, None);
        'scan: for (k, l) in lines.iter().enumerate().skip(start) {
            for c in l.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    ';' if !opened => break 'scan,
                    _ => {}
                }
                if opened && depth == 0 {
                    end = Some(k);
                    break 'scan;
                }
            }
        }
        let Some(end) = end else { continue };
        let n = end - start + 1;
        let doc = raw_lines[..start].iter().rev().take_while(|l| {
            let t = l.trim_start();
            t.starts_with("///") || t.starts_with("#[")
        });
        let says_why = doc.into_iter().any(|l| l.to_lowercase().contains("long"));
        if n > MAX_LINES && !says_why {
            let name = line.split("fn ").nth(1).unwrap_or("").split(['(', '<']).next().unwrap_or("");
            found.push(format!("{}:{} {name} ({n} lines)", path.display(), start + 1));
        }
    }
    found
}

#[test]
fn no_product_function_runs_past_about_80_lines_without_saying_why() {
    let files = product_sources();
    assert!(files.len() > 100, "the product's sources were found: {}", files.len());
    let long: Vec<String> = files.iter().flat_map(|f| long_functions(f)).collect();
    assert!(long.is_empty(), "split these or say in their doc comment why they are long:\n{}", long.join("\n"));
}

#[test]
fn the_count_ignores_braces_in_strings_comments_and_chars_and_finds_a_long_function() {
    let dir = tempfile::tempdir().unwrap();
    let body = "    let x = 1;\n".repeat(MAX_LINES);
    let src = format!(
        "/// short\nfn braces() {{\n    let s = \"}}}}\"; let r = r#\"{{\"#; let c = '{{'; // }}\n    /* {{ */\n}}\n\
         fn lifetimes<'a>(x: &'a str) -> &'a str {{\n    x\n}}\n\
         fn long_one() {{\n{body}}}\n\
         /// Long because the table reads best in one piece.\nfn long_with_a_reason() {{\n{body}}}\n"
    );
    let path = dir.path().join("probe.rs");
    std::fs::write(&path, src).unwrap();
    let found = long_functions(&path);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("long_one"), "{found:?}");
}
