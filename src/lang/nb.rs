//! Norwegian bokmål (the reports' default language).

use crate::note::{Note, RunNote};

pub fn note(n: &Note) -> String {
    match n {
        Note::NotSelected => "ikke valgt".into(),
        Note::Interrupted => "avbrutt (Ctrl-C) før testcasen startet".into(),
        Note::ProdWrite => "skriver til Tjenestepensjonsavtale: kjøres aldri i produksjon".into(),
        Note::PrerequisiteEnvironmentError { case, step, cause } => super::with_cause(
            format!("forutsetningen {case} endte med miljøfeil"),
            *step,
            cause,
            crate::model::Lang::Nb,
        ),
        Note::PrerequisiteDeviated { case } => format!("forutsetningen {case} avvek"),
        Note::WriteOutcomeUnknownBeforeResume { operation } => format!(
            "{operation} ble sendt før avbruddet, men svaret kom aldri: utfallet er ukjent og kallet sendes ikke \
             på nytt. Sjekk avtaleforholdet (avtalereferanse og opplysningspliktig) før en ny kjøring"
        ),
        Note::CaseTimeout { secs } => format!(
            "tidsavbrudd: testcasen brukte mer enn {secs} s (miljøet svarte ikke i tide)"
        ),
        Note::CaseCut {
            secs,
            step,
            waited_secs,
        } => {
            let who = if *waited_secs * 2 >= *secs {
                "tiden gikk mest med til harnessens egne planlagte ventetider"
            } else {
                "tiden gikk mest med til å vente på miljøet"
            };
            format!(
                "tidsavbrudd: testcasen ble avbrutt i steg {step} etter {secs} s; {who} ({waited_secs} s planlagt \
                 venting). Fullførte steg er beholdt"
            )
        }
        Note::ExpiredTokenAccepted { api, secs } => format!(
            "{api} godtok et token {secs} s etter exp: API-ets toleranse er lengre enn harnessens ventetid \
             (expiry_tolerance_secs). Ikke et avvik hos pensjonsinnretningen"
        ),
        Note::NoAnswer { detail } if detail.is_empty() => "miljøfeil: ingen respons".into(),
        Note::NoAnswer { detail } => format!("miljøfeil: {detail}"),
        Note::EnvironmentFault { cause } => format!("miljøfeil: {}", note(cause)),
        Note::PathNotFound { api, cause } => format!(
            "miljøfeil/konfigurasjon: 404 uten feilkode betyr at stien ikke finnes; sjekk stimalen for {api} ({})",
            note(cause)
        ),
        Note::Mismatch {
            expected,
            got,
            class_ok: true,
        } => format!(
            "riktig statusklasse, men annen status eller kode: forventet {expected}, fikk {got}"
        ),
        Note::Mismatch { expected, got, .. } => format!("forventet {expected}, fikk {got}"),
        Note::InferredCode { code, got, status } => format!(
            "forventet kode {code} er antatt (ikke dokumentert); mottok {} med riktig status {status}",
            got.as_deref().unwrap_or("ingen kode")
        ),
        Note::Im010AsNoIncome => "Inntekt svarte IM-010 (DSOP-FAQ: «ingen inntekt»; Skatteetatens tabell: samtykke). \
                                  Tolket som «ingen inntekt» for otp."
            .into(),
        Note::Im008NotIm010 => {
            "Inntekt svarte IM-008 (Skatteetatens tabell: ingen inntektsdata), ikke IM-010 som i DSOP-FAQ.".into()
        }
        Note::NavUnknownError { codes } => format!("NAV svarte AA-201 (ukjent feil): {codes}"),
        Note::NavUnexpectedErrors { codes } => {
            format!("NAV svarte HTTP 200 med errors ({codes}), som testcasen ikke forventet")
        }
        Note::NoBodyForFields => "svaret hadde ingen JSON-kropp å sjekke nøkkelfelt mot".into(),
        Note::FieldsFailed { failures } => format!("nøkkelfelt: {}", failures.join("; ")),
        Note::NoToken { detail } => format!("fikk ikke token: {detail}"),
        Note::OpaqueToken => {
            "tokenet kunne ikke dekodes (det er ugjennomsiktig etter Digdirs regel); ikke et avvik".into()
        }
        Note::WriteMaybeDone => "skrivekallet kan ha blitt utført; det sendes ikke på nytt. Sjekk avtaleforholdet \
                                 før ny kjøring"
            .into(),
        Note::RenewedAfter401 => "fikk 401 og fornyet tokenet før neste forsøk".into(),
        Note::Attempts { n } => format!("{n} forsøk"),
        Note::TokensFetched {
            within,
            first_calls,
            renewed,
        } if *within == 0 => format!(
            "tokens hentet: ingen for de {first_calls} første kallene (de gjenbrukte tokenet som ble hentet \
             før casen startet), {renewed} etter at levetiden (expires_in) var passert"
        ),
        Note::TokensFetched {
            within,
            first_calls,
            renewed,
        } => format!(
            "tokens hentet: {within} for de {first_calls} første kallene, {renewed} etter at levetiden \
             (expires_in) var passert"
        ),
        Note::TokenNotReused => "tokenet ble ikke gjenbrukt innenfor levetiden".into(),
        Note::TokenNotRenewed => "tokenet ble ikke fornyet før utløp (eller kallet fikk 401)".into(),
        Note::OutcomeUnknown { detail } => format!(
            "utfallet av skrivekallet er ukjent ({detail}): det kan ha blitt utført. Sjekk avtaleforholdet \
             (avtalereferanse og opplysningspliktig) før en ny kjøring"
        ),
        Note::WriteResent => {
            "sendt én gang til med identisk innhold etter et ukjent utfall; det andre svaret gjelder".into()
        }
        Note::LocalSetup { detail } => format!("nøkkel, sertifikat eller konfigurasjon: {detail}"),
        Note::JournalFailed { detail } => format!(
            "journalen kunne ikke skrives før skrivekallet ({detail}); kallet ble ikke sendt og kjøringen stoppet"
        ),
        Note::RunStopped { cause } => format!("kjøringen stoppet: {}", note(cause)),
        Note::Text { text } => text.clone(),
    }
}

pub fn run_note(n: &RunNote) -> String {
    match n {
        RunNote::Simulated => {
            "Kjørt mot dsop-harness sin innebygde simulator: ikke bevis for Bits.".into()
        }
        RunNote::Rehearsal => {
            "GENERALPRØVE (dsop-harness rehearse): test-oppsettet kjørt mot den innebygde \
                               simulatoren, ikke mot etatene. Ikke bevis for Bits."
                .into()
        }
        RunNote::UndocumentedEndpoint { name, url, loopback } => {
            let what = ["er ikke", "er denne maskinen (loopback), ikke"][usize::from(*loopback)];
            format!("{name}: {url} {what} etatens dokumenterte testadresse")
        }
        RunNote::RehearsalSetup { text } => format!(
            "Generalprøve: {}",
            match text.as_str() {
                "throw_away_key" => "ingen nøkkel i konfigurasjonen: en engangs-PKCS#12 (throw-away) fra en \
                                     syntetisk test-CA ble brukt",
                "issuer_trust_not_rehearsed" => "tillit gjennom utstederen er ikke prøvd (issuer trust not \
                                                 rehearsed): verken PKCS#12-filen, kjedefilen eller --ca har \
                                                 utstederens sertifikat, så simulatoren stoler på selve sertifikatet",
                "will_be_refused" => "test-Maskinporten vil avvise dette sertifikatet (MP-120): det er \
                                      selvsignert, eller utstederen står verken på listen over test- eller \
                                      produksjonsutstedere",
                other => other,
            }
        ),
        RunNote::SystemUser => "Systembruker er brukt: ikke verifisert mot etatene.".into(),
        RunNote::Rerun { run_id, dir } => format!(
            "Omkjøring av avvik og miljøfeil fra kjøring {run_id} ({dir}). Slå sammen med \
             `dsop-harness report {dir} <denne mappen>`."
        ),
        RunNote::CutOff => {
            "journal.jsonl har ingen run_finished-hendelse: kjøringen ble avbrutt underveis".into()
        }
    }
}
