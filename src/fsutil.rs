//! File writing that never leaves a half-written file: write to a temporary file in the same folder,
//! then rename it over the target. `write_atomic` also fsyncs the file and its folder (the file survives a
//! power cut); `replace` does not (the file survives a killed process, never half-written): for files that
//! can be made again, such as a run's reports (from its journal), and for files written many times a run.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Write `bytes` to `path` atomically (temp file + fsync + rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Write `path` atomically like [`write_atomic`], the content written by `fill` into the temporary file (so
/// a large file need not be in memory first).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    write_via_temp(path, fill, true)
}

/// Write `bytes` to `path` through a temporary file and a rename, without fsync: never half-written, but
/// not on disk before the operating system writes it (a power cut may lose it).
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temp(path, |f| f.write_all(bytes), false)
}

/// As [`replace`], the content written by `fill`.
pub fn replace_with(path: &Path, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    write_via_temp(path, fill, false)
}

fn write_via_temp(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
    durable: bool,
) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = File::create(&tmp).and_then(|mut f| {
        fill(&mut f)?;
        match durable {
            true => f.sync_all(),
            false => Ok(()),
        }
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })?;
    if durable {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Append one line to a file with one write call (no fsync: the line survives the process, not a power cut).
pub fn append_line(path: &Path, line: &str) -> io::Result<()> {
    let mut f = OpenOptions::new().create(true).append(true).open(path)?;
    let mut buf = Vec::with_capacity(line.len() + 1);
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    f.write_all(&buf)
}

/// SHA-256 of a file, lowercase hex.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    use sha2::{Digest, Sha256};
    let bytes = fs::read(path)?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
        replace(&p, b"three").unwrap();
        replace_with(&p, |f| f.write_all(b"four")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"four");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
