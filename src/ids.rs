//! Norwegian identifiers: organisation numbers and fødselsnummer/d-nummer, including Test-Norge's
//! synthetic persons (birth month + 80) and NAV's synthetic offsets (+40, +60).
//! Rules in `docs/service.md` §9.

use chrono::NaiveDate;

/// What kind of person identifier an 11-digit number is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonIdKind {
    Fnr,
    Dnr,
    /// Skatteetaten/Tenor synthetic (month + 80).
    SyntheticTenor,
    /// NAV synthetic (month + 40 or + 60).
    SyntheticNav,
}

/// Why an identifier is invalid, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdError(pub String);

impl std::fmt::Display for IdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn digits(s: &str, n: usize, what: &str) -> Result<Vec<u32>, IdError> {
    if s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError(format!(
            "{what} must be exactly {n} digits, got {s:?}"
        )));
    }
    Ok(s.bytes().map(|b| (b - b'0') as u32).collect())
}

/// Validate a 9-digit organisation number (mod 11, weights 3,2,7,6,5,4,3,2; first digit 2, 3, 8 or 9).
pub fn validate_orgnr(s: &str) -> Result<(), IdError> {
    let d = digits(s, 9, "an organisation number")?;
    if !matches!(d[0], 2 | 3 | 8 | 9) {
        return Err(IdError(format!(
            "organisation number {s} must start with 2, 3, 8 or 9"
        )));
    }
    let w = [3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = d.iter().zip(w).map(|(a, b)| a * b).sum();
    let check = match sum % 11 {
        0 => 0,
        1 => {
            return Err(IdError(format!(
                "organisation number {s} has an invalid check digit"
            )))
        }
        r => 11 - r,
    };
    if check != d[8] {
        return Err(IdError(format!(
            "organisation number {s} has an invalid check digit"
        )));
    }
    Ok(())
}

pub fn is_valid_orgnr(s: &str) -> bool {
    validate_orgnr(s).is_ok()
}

/// Validate an 11-digit fnr/dnr (two check digits, a real calendar date after removing the offsets).
pub fn validate_person_id(s: &str) -> Result<PersonIdKind, IdError> {
    let d = digits(s, 11, "a person identifier (fødselsnummer or d-nummer)")?;
    let w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    let s1: u32 = d.iter().take(9).zip(w1).map(|(a, b)| a * b).sum();
    if !matches!((s1 + d[9]) % 11, 0..=3) {
        return Err(IdError(format!(
            "person identifier {s} has an invalid first check digit"
        )));
    }
    let w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let s2: u32 = d.iter().take(10).zip(w2).map(|(a, b)| a * b).sum();
    if (s2 + d[10]) % 11 != 0 {
        return Err(IdError(format!(
            "person identifier {s} has an invalid second check digit"
        )));
    }
    let mut day = d[0] * 10 + d[1];
    let mut month = d[2] * 10 + d[3];
    let mut kind = PersonIdKind::Fnr;
    if day > 40 {
        day -= 40;
        kind = PersonIdKind::Dnr;
    }
    if month > 80 {
        month -= 80;
        kind = PersonIdKind::SyntheticTenor;
    } else if month > 60 {
        month -= 60;
        kind = PersonIdKind::SyntheticNav;
    } else if month > 40 {
        month -= 40;
        kind = PersonIdKind::SyntheticNav;
    }
    let yy = d[4] * 10 + d[5];
    // The century does not matter for a calendar check except 29 February; try both.
    let ok = [1900 + yy, 2000 + yy]
        .iter()
        .any(|y| NaiveDate::from_ymd_opt(*y as i32, month, day).is_some());
    if !ok {
        return Err(IdError(format!(
            "person identifier {s} does not start with a valid date (DDMMYY)"
        )));
    }
    Ok(kind)
}

pub fn is_valid_person_id(s: &str) -> bool {
    validate_person_id(s).is_ok()
}

/// Mask a personal id for reports (`--mask-ids`): keep the first 6 digits.
pub fn mask_person_id(s: &str) -> String {
    if s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}*****", &s[..6])
    } else {
        s.to_string()
    }
}

/// Mask every standalone 11-digit number inside free text (`--mask-ids`): keep the first 6 digits.
///
/// Every 11-digit number counts, valid or not: organisation numbers have 9 digits, and a person id with a
/// wrong check digit (a typo, or a test case's deliberately invalid id) is still someone's. "Standalone"
/// means not touching another letter or digit, so hashes, UUIDs and base64 are left alone.
pub fn mask_person_ids_in(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let before = start.checked_sub(1).map(|j| b[j]);
        let after = b.get(i).copied();
        let alone = |c: Option<u8>| !c.is_some_and(|c| c.is_ascii_alphanumeric());
        if i - start == 11 && alone(before) && alone(after) {
            out.push_str(&text[last..start]);
            out.push_str(&mask_person_id(&text[start..i]));
            last = i;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Mask personal ids in the bytes of a file a run writes: text as [`mask_person_ids_in`]; a zip container
/// (xlsx, docx, zip) member by member, where a numeric worksheet cell holding an id becomes an inline string
/// so the masked text stays a valid cell. Other binary content is returned unchanged.
pub fn mask_person_ids_in_file(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.starts_with(b"PK\x03\x04") {
        return mask_person_ids_in_zip(bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(mask_person_ids_in(text).into_bytes()),
        Err(_) => Ok(bytes.to_vec()),
    }
}

fn mask_person_ids_in_zip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable zip container: {e}"))?;
    let mut zout = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let numeric_cell =
        regex::Regex::new(r#"<c((?:\s+[A-Za-z:]+="[^"]*")*)\s*><v>(\d{11})</v></c>"#)
            .expect("static regex");
    for i in 0..zin.len() {
        let mut e = zin
            .by_index(i)
            .map_err(|e| format!("member {i} cannot be read: {e}"))?;
        let name = e.name().to_string();
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(e.last_modified().unwrap_or_default());
        if e.is_dir() {
            zout.add_directory(name.as_str(), options)
                .map_err(|e| e.to_string())?;
            continue;
        }
        let mut data = Vec::new();
        e.read_to_end(&mut data)
            .map_err(|err| format!("{name} cannot be read: {err}"))?;
        let masked = if data.starts_with(b"PK\x03\x04") {
            mask_person_ids_in_zip(&data)?
        } else {
            match std::str::from_utf8(&data) {
                Ok(text) => {
                    let text = if name.ends_with(".xml") {
                        numeric_cell
                            .replace_all(text, |c: &regex::Captures| {
                                let attrs = c[1].replace(" t=\"n\"", "");
                                if attrs.contains(" t=\"") {
                                    // A string-typed cell: its text is masked below.
                                    return c[0].to_string();
                                }
                                format!(
                                    "<c{attrs} t=\"inlineStr\"><is><t>{}</t></is></c>",
                                    mask_person_id(&c[2])
                                )
                            })
                            .into_owned()
                    } else {
                        text.to_string()
                    };
                    mask_person_ids_in(&text).into_bytes()
                }
                Err(_) => data,
            }
        };
        zout.start_file(name.as_str(), options)
            .map_err(|e| e.to_string())?;
        zout.write_all(&masked).map_err(|e| e.to_string())?;
    }
    Ok(zout.finish().map_err(|e| e.to_string())?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orgnr() {
        assert!(is_valid_orgnr("310000108"));
        assert!(is_valid_orgnr("987654309"));
        assert!(!is_valid_orgnr("310000109"));
        assert!(!is_valid_orgnr("31000010"));
        assert!(!is_valid_orgnr("110000108"));
    }

    #[test]
    fn person() {
        assert_eq!(
            validate_person_id("12838510068"),
            Ok(PersonIdKind::SyntheticTenor)
        );
        assert!(validate_person_id("12838510069").is_err());
        assert!(validate_person_id("1283851006").is_err());
        assert_eq!(mask_person_id("12838510068"), "128385*****");
        assert_eq!(mask_person_ids_in("id 12838510068."), "id 128385*****.");
        // Invalid check digits too; not inside longer numbers, hashes or words.
        assert_eq!(
            mask_person_ids_in("/otp/12838510069/x,12838510068"),
            "/otp/128385*****/x,128385*****"
        );
        assert_eq!(
            mask_person_ids_in("a12838510068 128385100680"),
            "a12838510068 128385100680"
        );
        assert_eq!(mask_person_ids_in("æ12838510068ø"), "æ128385*****ø");
    }
}
