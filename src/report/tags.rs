//! Testdata tags (`egenskaper`) in words for the reports: `sluttaarsak:arbeidstakerHarSagtOppSelv` reads
//! "Sluttårsak: arbeidstaker har sagt opp selv" (nb) or "Reason for termination: the employee resigned" (en).
//! Known tag names and values come from a small table; anything else is split at `_` and camelCase humps.

use crate::model::Lang;

/// (tag or tag name, nb, en). A name followed by `:value` is a tag name (`sluttaarsak`, `underenhet`).
const WORDS: &[(&str, &str, &str)] = &[
    ("sluttaarsak", "Sluttårsak", "Reason for termination"),
    ("underenhet", "Underenhet", "Sub-unit"),
    ("gjensidig_avtale", "Gjensidig avtale", "Mutual agreement"),
    ("ikke_registrert", "Ikke registrert", "Not registered"),
    ("ingen_avtale", "Ingen avtale", "No agreement"),
    ("har_inntekt", "Har inntekt", "Has income"),
    (
        "ingen_inntekt_IM010",
        "Ingen inntekt (IM-010)",
        "No income (IM-010)",
    ),
    (
        "skjermet_strengt_fortrolig",
        "Skjermet (strengt fortrolig)",
        "Shielded (strictly confidential)",
    ),
    (
        "skjermet_fortrolig",
        "Skjermet (fortrolig)",
        "Shielded (confidential)",
    ),
    ("flere_permisjoner", "Flere permisjoner", "Several leaves"),
    ("permittert", "Permittert", "Temporarily laid off"),
    (
        "avsluttet_arbeidsforhold",
        "Avsluttet arbeidsforhold",
        "Employment ended",
    ),
    ("frilanser", "Frilanser", "Freelancer"),
    ("maritim", "Maritimt arbeidsforhold", "Maritime employment"),
    ("hovedavtale", "Hovedavtale", "Main agreement"),
    // Values of `sluttaarsak` (Aa-registeret's code list).
    (
        "arbeidstakerHarSagtOppSelv",
        "arbeidstaker har sagt opp selv",
        "the employee resigned",
    ),
    (
        "kontraktEngasjementEllerVikariatErUtloept",
        "kontrakt, engasjement eller vikariat er utløpt",
        "contract, engagement or temporary post expired",
    ),
    (
        "arbeidsgiverHarSagtOppArbeidstaker",
        "arbeidsgiver har sagt opp arbeidstaker",
        "the employer dismissed the employee",
    ),
    (
        "arbeidstakerHarOppnaaddAldersgrense",
        "arbeidstaker har oppnådd aldersgrense",
        "the employee reached the age limit",
    ),
    (
        "arbeidsforholdetVarFeilaktigRegistrert",
        "arbeidsforholdet var feilaktig registrert",
        "the employment was registered in error",
    ),
    ("dodsfall", "dødsfall", "death"),
];

fn known(key: &str, lang: Lang) -> Option<&'static str> {
    WORDS
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, nb, en)| match lang {
            Lang::Nb => *nb,
            Lang::En => *en,
        })
}

/// `arbeidstakerHarSagtOppSelv` / `flere_permisjoner` → `arbeidstaker har sagt opp selv` / `flere permisjoner`.
/// Digits and runs of capitals (`IM010`, `AAREG`) stay together.
fn split_words(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let hump = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase() || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if hump && !out.ends_with(' ') {
            out.push(' ');
        }
        let acronym = c.is_uppercase()
            && (prev.is_some_and(char::is_uppercase) || next.is_some_and(char::is_uppercase));
        if acronym {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out.trim().to_string()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// One tag in words: `name:value` → "Name: value", a flag → "Flag words".
pub fn tag_words(tag: &str, lang: Lang) -> String {
    let tag = tag.trim();
    if let Some(w) = known(tag, lang) {
        return capitalise(w);
    }
    // Free text written by a person (`avtale OTP-SIM-0001`) is already words.
    if tag.contains(char::is_whitespace) {
        return capitalise(tag);
    }
    match tag.split_once(':') {
        Some((name, value)) => {
            let name = known(name.trim(), lang)
                .map(str::to_string)
                .unwrap_or_else(|| capitalise(&split_words(name.trim())));
            let value = value.trim();
            let value = known(value, lang)
                .map(str::to_string)
                .unwrap_or_else(|| split_words(value));
            format!("{name}: {value}")
        }
        None => capitalise(&split_words(tag)),
    }
}

/// Every tag of a Testdata row in words, joined with "; " (a tag may itself hold a comma).
pub fn tags_words(tags: &[String], lang: Lang) -> String {
    tags.iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| tag_words(t, lang))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_tags_and_values_read_as_words() {
        assert_eq!(
            tag_words("sluttaarsak:arbeidstakerHarSagtOppSelv", Lang::Nb),
            "Sluttårsak: arbeidstaker har sagt opp selv"
        );
        assert_eq!(
            tag_words("sluttaarsak:arbeidstakerHarSagtOppSelv", Lang::En),
            "Reason for termination: the employee resigned"
        );
        assert_eq!(
            tag_words("underenhet:310000418", Lang::Nb),
            "Underenhet: 310000418"
        );
        assert_eq!(
            tag_words("ingen_inntekt_IM010", Lang::En),
            "No income (IM-010)"
        );
        assert_eq!(
            tags_words(
                &["flere_permisjoner".into(), "har_inntekt".into()],
                Lang::Nb
            ),
            "Flere permisjoner; Har inntekt"
        );
    }

    #[test]
    fn unknown_tags_are_split_at_humps_and_underscores() {
        assert_eq!(tag_words("nyTestEgenskap", Lang::Nb), "Ny test egenskap");
        assert_eq!(tag_words("noe_annet", Lang::En), "Noe annet");
        assert_eq!(
            tag_words("typeArbeid:fastAnsattAAREG", Lang::Nb),
            "Type arbeid: fast ansatt AAREG"
        );
        assert_eq!(tag_words("IM010sjekk", Lang::Nb), "IM010sjekk");
        assert_eq!(tag_words("", Lang::Nb), "");
        assert_eq!(
            tag_words("avtale OTP-SIM-0001", Lang::Nb),
            "Avtale OTP-SIM-0001"
        );
    }
}
