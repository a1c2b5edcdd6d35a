//! Norwegian identifiers: organisation numbers and fødselsnummer/d-nummer, including Test-Norge's
//! synthetic persons (birth month + 80) and NAV's synthetic offsets (+40, +60).
//! Rules from `nav-aareg-otp.md` §9.

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

/// Mask every 11-digit run that validates as a person id inside free text.
pub fn mask_person_ids_in(text: &str) -> String {
    let re = regex::Regex::new(r"\b\d{11}\b").expect("static regex");
    re.replace_all(text, |c: &regex::Captures| {
        let m = &c[0];
        if is_valid_person_id(m) {
            mask_person_id(m)
        } else {
            m.to_string()
        }
    })
    .into_owned()
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
    }
}
