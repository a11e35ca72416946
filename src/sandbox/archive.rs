//! A look at a ZIP's end records before the archive is opened: how many entries its central directory
//! claims. Opening an archive reads its whole central directory into memory (a few hundred bytes an entry),
//! so a package of millions of tiny entries would cost gigabytes; counting first keeps that bounded.
//!
//! Every end-of-central-directory signature in the last 64 KiB counts (a reader may pick any of them), and
//! a ZIP64 count is taken from the record its locator points at and from the record just before the
//! locator. A count marked as "in the ZIP64 record" without such a record is refused.
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
const EOCD_LEN: usize = 22;
const LOCATOR: [u8; 4] = [0x50, 0x4b, 0x06, 0x07];
const LOCATOR_LEN: usize = 20;
const EOCD64: [u8; 4] = [0x50, 0x4b, 0x06, 0x06];
const EOCD64_LEN: usize = 56;
/// The end record, its longest comment and a ZIP64 locator before it.
const TAIL: u64 = (EOCD_LEN + u16::MAX as usize + LOCATOR_LEN) as u64;

fn u16_at(bytes: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// The largest entry count any end record of the file claims; `None` when a record defers to a ZIP64
/// record that cannot be found.
pub fn claimed_entries(file: &mut File) -> io::Result<Option<u64>> {
    let len = file.seek(SeekFrom::End(0))?;
    let start = len.saturating_sub(TAIL);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.take(TAIL).read_to_end(&mut tail)?;
    let mut most = 0;
    for at in
        (0..tail.len().saturating_sub(EOCD_LEN - 1)).filter(|&at| tail[at..].starts_with(&EOCD))
    {
        let entries = u16_at(&tail, at + 8).max(u16_at(&tail, at + 10));
        if entries < u64::from(u16::MAX) {
            most = most.max(entries);
            continue;
        }
        let Some(locator) = at.checked_sub(LOCATOR_LEN).map(|l| &tail[l..at]) else {
            return Ok(None);
        };
        if !locator.starts_with(&LOCATOR) {
            return Ok(None);
        }
        let candidates = [
            Some(u64_at(locator, 8)),
            (start + at as u64).checked_sub((LOCATOR_LEN + EOCD64_LEN) as u64),
        ];
        let mut found = false;
        for offset in candidates.into_iter().flatten() {
            if let Some(entries) = zip64_entries(file, offset)? {
                most = most.max(entries);
                found = true;
            }
        }
        if !found {
            return Ok(None);
        }
    }
    Ok(Some(most))
}

fn zip64_entries(file: &mut File, offset: u64) -> io::Result<Option<u64>> {
    let mut record = [0u8; EOCD64_LEN];
    file.seek(SeekFrom::Start(offset))?;
    if file.read_exact(&mut record).is_err() || !record.starts_with(&EOCD64) {
        return Ok(None);
    }
    Ok(Some(u64_at(&record, 24).max(u64_at(&record, 32))))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn archive(entries: usize) -> File {
        let mut file = tempfile::tempfile().unwrap();
        let mut zip = zip::ZipWriter::new(&mut file);
        for i in 0..entries {
            zip.start_file(i.to_string(), zip::write::SimpleFileOptions::default())
                .unwrap();
        }
        zip.finish().unwrap();
        file
    }

    #[test]
    fn counts_the_entries_of_a_plain_archive() {
        assert_eq!(claimed_entries(&mut archive(3)).unwrap(), Some(3));
    }

    /// An end record claiming 0xFFFF entries, after `before`.
    fn deferring_end(before: &[u8]) -> Vec<u8> {
        let mut bytes = before.to_vec();
        bytes.extend_from_slice(&EOCD);
        bytes.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        bytes.extend_from_slice(&[0; 10]);
        bytes
    }

    #[test]
    fn counts_the_entries_of_a_zip64_archive_from_its_record() {
        let mut record = EOCD64.to_vec();
        record.extend_from_slice(&[0; 20]);
        record.extend_from_slice(&70_000u64.to_le_bytes());
        record.extend_from_slice(&70_000u64.to_le_bytes());
        record.extend_from_slice(&[0; 16]);
        let mut locator = LOCATOR.to_vec();
        locator.extend_from_slice(&[0; 4]);
        locator.extend_from_slice(&0u64.to_le_bytes());
        locator.extend_from_slice(&1u32.to_le_bytes());
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&deferring_end(&[record, locator].concat()))
            .unwrap();
        assert_eq!(claimed_entries(&mut file).unwrap(), Some(70_000));
    }

    #[test]
    fn a_file_without_an_end_record_claims_nothing() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"not a zip").unwrap();
        assert_eq!(claimed_entries(&mut file).unwrap(), Some(0));
    }

    #[test]
    fn a_zip64_count_without_its_record_is_refused() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&deferring_end(b"")).unwrap();
        assert_eq!(claimed_entries(&mut file).unwrap(), None);
    }
}
