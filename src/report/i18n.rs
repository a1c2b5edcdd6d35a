//! Fixed report texts in Norwegian bokmål (default) and English.
//!
//! Every string a reader sees that does not come from the run itself lives here, so the two languages stay
//! side by side. The struct is serialised into the template context as `t`.

use crate::model::{Delegation, Lang};
use serde::Serialize;

/// The first line of the simulator banner; also the header text of every page of a simulated report.
pub fn sim_banner_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Nb => "SIMULERT KJØRING – IKKE BEVIS FOR BITS",
        Lang::En => "SIMULATED RUN – NOT EVIDENCE FOR BITS",
    }
}

/// The banner's first line (and every page's header text) of a rehearsal (`dsop-harness rehearse`).
pub fn rehearsal_banner_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Nb => "GENERALPRØVE MOT SIMULATOR – IKKE BEVIS FOR BITS",
        Lang::En => "REHEARSAL AGAINST THE SIMULATOR – NOT EVIDENCE FOR BITS",
    }
}

/// The body of the simulator banner.
pub fn sim_banner_text(lang: Lang) -> &'static str {
    match lang {
        Lang::Nb => {
            "Denne rapporten er laget mot dsop-harness sin innebygde simulator, ikke mot etatenes testmiljøer. \
             Den kan ikke brukes som dokumentasjon av integrasjonstesten (C-4) eller som grunnlag for \
             bekreftelsen til Bits (C-7)."
        }
        Lang::En => {
            "This report was produced against dsop-harness's embedded simulator, not against the agencies' test \
             environments. It cannot be used as documentation of the integration test (C-4) or as the basis \
             for the confirmation to Bits (C-7)."
        }
    }
}

/// The first sentence of the conclusion: the verdict, mandatory cases OK of all, cases OK of all.
pub fn verdict_sentence(
    verdict: &str,
    (ok, mandatory): (usize, usize),
    (ok_total, total): (usize, usize),
    lang: Lang,
) -> String {
    match lang {
        Lang::Nb => format!(
            "Samlet vurdering: {verdict}. {ok} av {mandatory} obligatoriske testcaser har resultat OK; {ok_total} av \
             {total} testcaser totalt."
        ),
        Lang::En => format!(
            "Overall verdict: {verdict}. {ok} of {mandatory} mandatory test cases are OK; {ok_total} of {total} test \
             cases in total."
        ),
    }
}

/// The mandatory cases that are not OK (`list`), and what that means for the confirmation to Bits.
pub fn mandatory_not_ok(list: &str, lang: Lang) -> String {
    match lang {
        Lang::Nb => format!(
            "Følgende obligatoriske testcaser har ikke resultat OK: {list}. Pensjonsinnretningen kan derfor ikke \
             bekrefte overfor Bits at integrasjonstesten er fullført (C-7) før disse er rettet og kjørt på nytt med \
             resultat OK."
        ),
        Lang::En => format!(
            "The following mandatory test cases are not OK: {list}. The pension institution can therefore not \
             confirm to Bits that the integration test is complete (C-7) until they have been fixed and rerun \
             with the result OK."
        ),
    }
}

/// The recommended (not mandatory) cases with a deviation or an environment error.
pub fn optional_not_ok(list: &str, lang: Lang) -> String {
    match lang {
        Lang::Nb => format!(
            "Anbefalte (ikke obligatoriske) testcaser med avvik eller miljøfeil: {list}. De påvirker ikke den \
             samlede vurderingen, men er beskrevet i kapittel 8."
        ),
        Lang::En => format!(
            "Recommended (not mandatory) test cases with a deviation or an environment error: {list}. They do not \
             affect the overall verdict but are described in section 8."
        ),
    }
}

/// The run note of a report merged from several runs (`ids`: the runs, oldest first).
pub fn merged_note(n: usize, ids: &str, lang: Lang) -> String {
    match lang {
        Lang::Nb => format!(
            "Samlet rapport over {n} kjøringer: {ids}. For hver testcase gjelder resultatet fra den siste \
             kjøringen som kjørte den; tidligere forsøk er listet under testcasen."
        ),
        Lang::En => format!(
            "Combined report of {n} runs: {ids}. For each test case the result of the latest run that ran it \
             counts; earlier attempts are listed under the case."
        ),
    }
}

/// "29 (17 mandatory)".
pub fn cases_with_mandatory(total: usize, mandatory: usize, lang: Lang) -> String {
    match lang {
        Lang::Nb => format!("{total} ({mandatory} obligatoriske)"),
        Lang::En => format!("{total} ({mandatory} mandatory)"),
    }
}

/// A deviation's detail: what was expected and what came.
pub fn expected_got(expected: &str, got: &str, lang: Lang) -> String {
    match lang {
        Lang::Nb => format!("Forventet {expected}, fikk {got}."),
        Lang::En => format!("Expected {expected}, got {got}."),
    }
}

/// How the institution's calls are authorised, in words.
pub fn delegation_text(d: Delegation, lang: Lang) -> &'static str {
    match (d, lang) {
        (Delegation::None, Lang::Nb) => {
            "Ingen delegering: pensjonsinnretningen kaller API-ene med egen Maskinporten-klient og eget \
             virksomhetssertifikat."
        }
        (Delegation::None, Lang::En) => {
            "No delegation: the pension institution calls the APIs with its own Maskinporten client and its own \
             business certificate."
        }
        (Delegation::ConsumerOrg, Lang::Nb) => {
            "API-delegering i Altinn (consumer_org): pensjonsinnretningen har delegert rettighetene «Inntekt API \
             - På vegne av», «Inntektsmottakere API», «Tjenestepensjonsavtale API» og «Aa-registeret OTP API» \
             til tredjepartsleverandøren."
        }
        (Delegation::ConsumerOrg, Lang::En) => {
            "API delegation in Altinn (consumer_org): the pension institution has delegated the rights \
             \"Inntekt API - På vegne av\", \"Inntektsmottakere API\", \"Tjenestepensjonsavtale API\" and \
             \"Aa-registeret OTP API\" to the third-party vendor."
        }
        (Delegation::SystemUser, Lang::Nb) => {
            "Altinn systembruker: tokenet bærer authorization_details av typen urn:altinn:systemuser for \
             pensjonsinnretningen."
        }
        (Delegation::SystemUser, Lang::En) => {
            "Altinn system user: the token carries authorization_details of type urn:altinn:systemuser for the \
             pension institution."
        }
    }
}

/// The fixed paragraph on the IM-008/IM-010 documentation conflict (section 8).
pub fn im010_paragraph(lang: Lang) -> &'static str {
    match lang {
        Lang::Nb => {
            "Kjent dokumentasjonskonflikt (IM-008/IM-010): Bits' FAQ beskriver IM-010 som «Fant ingen informasjon \
             for gitt identifikator og periode», mens Skatteetatens gjeldende feilkodetabell for Inntekt oppgir \
             IM-008 (404) for ingen inntekt og IM-010 (403) for samtykke, som bare gjelder rettighetspakken sbl. \
             For rettighetspakken otp behandles begge svarene som «ingen inntekt», og testcasen godtar begge \
             (404:IM-008 | 4xx:IM-010). Merknaden på testcasen viser hvilket svar som kom."
        }
        Lang::En => {
            "Known documentation conflict (IM-008/IM-010): Bits' FAQ describes IM-010 as \"Fant ingen informasjon \
             for gitt identifikator og periode\" (no information for the identifier and period), while \
             Skatteetaten's current error table for Inntekt gives IM-008 (404) for no income and IM-010 (403) for \
             consent, which applies only to the sbl package. For the otp package both answers are treated as \
             \"no income\", and the test case accepts either (404:IM-008 | 4xx:IM-010). The case note shows \
             which one arrived."
        }
    }
}

/// Every fixed label of the reports.
#[derive(Clone, Debug, Serialize)]
pub struct Labels {
    pub lang_code: &'static str,
    pub title: &'static str,
    pub toc_title: &'static str,
    pub toc_hint: &'static str,
    pub run_notes: &'static str,
    pub page: &'static str,
    pub of: &'static str,

    // Section headings, numbered as in the outline.
    pub h1: &'static str,
    pub h2: &'static str,
    pub h3: &'static str,
    pub h4: &'static str,
    pub h5: &'static str,
    pub h6: &'static str,
    pub h7: &'static str,
    pub h8: &'static str,
    pub h9: &'static str,
    pub h10: &'static str,
    pub h11: &'static str,

    // Sub-headings.
    pub base_urls: &'static str,
    pub scopes: &'static str,
    pub months: &'static str,
    pub testdata_table: &'static str,
    pub workbook_info: &'static str,
    pub steps_of: &'static str,

    // Generic.
    pub none: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub field: &'static str,
    pub value: &'static str,

    // Table columns.
    pub col_api: &'static str,
    pub col_cases: &'static str,
    pub col_base_url: &'static str,
    pub col_total: &'static str,
    pub col_id: &'static str,
    pub col_description: &'static str,
    pub col_expected: &'static str,
    pub col_actual: &'static str,
    pub col_status: &'static str,
    pub col_correlation: &'static str,
    pub col_date: &'static str,
    pub col_note: &'static str,
    pub col_measure: &'static str,
    pub col_responsible: &'static str,
    pub col_ref: &'static str,
    pub col_kind: &'static str,
    pub col_identifier: &'static str,
    pub col_name: &'static str,
    pub col_tags: &'static str,
    pub col_source: &'static str,
    pub col_role: &'static str,
    pub col_signature: &'static str,
    pub col_case_step: &'static str,
    pub col_time: &'static str,
    pub col_operation: &'static str,
    pub col_http: &'static str,
    pub col_code: &'static str,
    pub col_corr_sent: &'static str,
    pub col_corr_returned: &'static str,
    pub col_attempts: &'static str,
    pub col_duration: &'static str,
    pub sent: &'static str,
    pub returned: &'static str,
    pub mandatory_mark: &'static str,
    pub mandatory_legend: &'static str,

    // Section texts.
    pub synthetic_only: &'static str,
    pub no_deviations: &'static str,
    pub deviations_intro: &'static str,
    pub signature_intro: &'static str,
    pub sign_test_lead: &'static str,
    pub sign_institution: &'static str,
    pub log_intro: &'static str,
    pub masked_note: &'static str,
    pub verdict: &'static str,
    /// Row label for the earlier attempts of a case in a merged report.
    pub history: &'static str,
    /// Label of the Bits case number (document information).
    pub bits_case: &'static str,
    /// "run" in a case's history line.
    pub run_word: &'static str,

    // The keys and fixed sentences of the report's fact tables and conclusion (view.rs).
    pub conclusion_simulated: &'static str,
    pub not_given: &'static str,
    pub embedded_simulator: &'static str,
    pub kv_document: &'static str,
    pub kv_template_version: &'static str,
    pub kv_report_version: &'static str,
    pub kv_report_date: &'static str,
    pub kv_test_case_file: &'static str,
    pub kv_workbook_sha256: &'static str,
    pub kv_run_id: &'static str,
    pub kv_environment: &'static str,
    pub org_no: &'static str,
    pub kv_pension_institution: &'static str,
    pub kv_third_party_vendor: &'static str,
    pub kv_delegation: &'static str,
    pub kv_business_contact: &'static str,
    pub kv_technical_contact: &'static str,
    pub kv_test_lead: &'static str,
    pub kv_maskinporten_issuer: &'static str,
    pub kv_token_endpoint: &'static str,
    pub kv_maskinporten_client_id: &'static str,
    pub kv_key_mode: &'static str,
    pub kv_cert_subject: &'static str,
    pub kv_cert_issuer: &'static str,
    pub kv_serial_number: &'static str,
    pub kv_cert_validity: &'static str,
    pub kv_cert_orgnr: &'static str,
    pub kv_business_certificate: &'static str,
    pub kv_harness_version: &'static str,
    pub kv_testdata_set: &'static str,
    pub kv_number_of_test_persons: &'static str,
    pub kv_number_of_organisations: &'static str,
    pub kv_months_date: &'static str,
    pub kv_test_period: &'static str,
    pub kv_run_by: &'static str,
    pub kv_tool: &'static str,
    pub kv_test_cases: &'static str,
    pub header_system_user: &'static str,
}

impl Labels {
    pub fn for_lang(lang: Lang) -> Labels {
        match lang {
            Lang::Nb => Labels {
                lang_code: "nb-NO",
                title: "Ajourhold av OTP – Integrasjonstest rapport",
                toc_title: "Innhold",
                toc_hint: "Innholdsfortegnelsen oppdateres når dokumentet åpnes (eller med F9).",
                run_notes: "Merknader til kjøringen",
                page: "Side",
                of: "av",
                h1: "1 Dokumentinformasjon",
                h2: "2 Virksomhet",
                h3: "3 Testmiljø og oppsett",
                h4: "4 Testdata",
                h5: "5 Gjennomføring",
                h6: "6 Sammendrag per API",
                h7: "7 Resultat per testcase",
                h8: "8 Avvik og tiltak",
                h9: "9 Konklusjon",
                h10: "10 Godkjenning / signatur",
                h11: "11 Vedlegg",
                base_urls: "Endepunkter brukt",
                scopes: "Scopes",
                months: "Måneder brukt i testcasene",
                testdata_table: "Testpersoner og organisasjoner",
                workbook_info: "Opplysninger fra testcasefilen (Info-arket)",
                steps_of: "Steg",
                none: "Ingen",
                yes: "Ja",
                no: "Nei",
                field: "Felt",
                value: "Verdi",
                col_api: "API",
                col_cases: "Testcaser",
                col_base_url: "Base-URL",
                col_total: "Totalt",
                col_id: "ID",
                col_description: "Beskrivelse",
                col_expected: "Forventet",
                col_actual: "Faktisk (HTTP / feilkode)",
                col_status: "Status",
                col_correlation: "Korrelasjons-ID (sendt / mottatt)",
                col_date: "Dato",
                col_note: "Merknad / årsak",
                col_measure: "Tiltak",
                col_responsible: "Ansvarlig",
                col_ref: "Ref",
                col_kind: "Type",
                col_identifier: "Identifikator",
                col_name: "Navn",
                col_tags: "Egenskaper",
                col_source: "Kilde",
                col_role: "Rolle",
                col_signature: "Signatur",
                col_case_step: "Testcase / steg",
                col_time: "Tid",
                col_operation: "Operasjon",
                col_http: "HTTP",
                col_code: "Kode",
                col_corr_sent: "Korrelasjons-ID sendt",
                col_corr_returned: "Korrelasjons-ID mottatt",
                col_attempts: "Forsøk",
                col_duration: "Varighet",
                sent: "sendt",
                returned: "mottatt",
                mandatory_mark: "*",
                mandatory_legend: "* = obligatorisk testcase (inngår i samlet vurdering).",
                synthetic_only: "Kun syntetiske testdata er brukt (Skatteetatens testdatasett, Tenor/Testnorge). \
                                 Rapporten inneholder ingen reelle personopplysninger.",
                no_deviations: "Ingen testcaser har avvik eller miljøfeil.",
                deviations_intro: "Testcaser med avvik eller miljøfeil. Kolonnene Tiltak og Ansvarlig fylles ut av \
                                   teamet.",
                signature_intro: "Rapporten er gjennomgått og godkjent av:",
                sign_test_lead: "Testansvarlig",
                sign_institution: "Ansvarlig hos pensjonsinnretningen",
                log_intro: "Kjøringslogg per testcase og steg. Kun metadata: ingen meldingsinnhold, tokens eller \
                            nøkler er tatt med. Tider i Europe/Oslo.",
                masked_note: "Personidentifikatorer i merknader er maskert (bare de seks første sifrene vises).",
                verdict: "Samlet vurdering",
                history: "Tidligere forsøk",
                bits_case: "Bits saksnummer",
                run_word: "kjøring",
                conclusion_simulated: "Kjøringen er gjort mot dsop-harness sin innebygde simulator. Denne konklusjonen kan derfor ikke \
                 brukes som grunnlag for bekreftelsen til Bits (C-7); integrasjonstesten må kjøres mot etatenes \
                 testmiljøer.",
                not_given: "Ikke oppgitt",
                embedded_simulator: "innebygd simulator",
                kv_document: "Dokument",
                kv_template_version: "Malversjon",
                kv_report_version: "Rapportversjon",
                kv_report_date: "Rapportdato",
                kv_test_case_file: "Testcasefil",
                kv_workbook_sha256: "SHA-256 av testcasefilen",
                kv_run_id: "Kjørings-ID",
                kv_environment: "Miljø",
                org_no: "org.nr.",
                kv_pension_institution: "Pensjonsinnretning",
                kv_third_party_vendor: "Tredjepartsleverandør",
                kv_delegation: "Delegering",
                kv_business_contact: "Kontaktperson forretning",
                kv_technical_contact: "Kontaktperson teknisk",
                kv_test_lead: "Testansvarlig",
                kv_maskinporten_issuer: "Maskinporten (issuer)",
                kv_token_endpoint: "Token-endepunkt",
                kv_maskinporten_client_id: "Maskinporten klient-ID",
                kv_key_mode: "Nøkkelmodus",
                kv_cert_subject: "Virksomhetssertifikat, emne",
                kv_cert_issuer: "Virksomhetssertifikat, utsteder",
                kv_serial_number: "Serienummer",
                kv_cert_validity: "Gyldig (fra – til)",
                kv_cert_orgnr: "Org.nr. i sertifikatet",
                kv_business_certificate: "Virksomhetssertifikat",
                kv_harness_version: "Harness-versjon",
                kv_testdata_set: "Testdatasett fra Skatteetaten",
                kv_number_of_test_persons: "Antall testpersoner",
                kv_number_of_organisations: "Antall organisasjoner",
                kv_months_date: "Dato månedene er beregnet fra",
                kv_test_period: "Testperiode",
                kv_run_by: "Gjennomført av",
                kv_tool: "Verktøy",
                kv_test_cases: "Testcaser",
                header_system_user: " · SYSTEMBRUKER – IKKE VERIFISERT MOT ETATENE",
            },
            Lang::En => Labels {
                lang_code: "en-GB",
                title: "OTP data update (Ajourhold av OTP) – Integration test report",
                toc_title: "Contents",
                toc_hint: "The table of contents is updated when the document is opened (or with F9).",
                run_notes: "Notes on this run",
                page: "Page",
                of: "of",
                h1: "1 Document information",
                h2: "2 Organisation",
                h3: "3 Test environment and set-up",
                h4: "4 Test data",
                h5: "5 Execution",
                h6: "6 Summary per API",
                h7: "7 Result per test case",
                h8: "8 Deviations and actions",
                h9: "9 Conclusion",
                h10: "10 Approval / signature",
                h11: "11 Appendix",
                base_urls: "Endpoints used",
                scopes: "Scopes",
                months: "Months used by the test cases",
                testdata_table: "Test persons and organisations",
                workbook_info: "Details from the test case file (Info sheet)",
                steps_of: "Step",
                none: "None",
                yes: "Yes",
                no: "No",
                field: "Field",
                value: "Value",
                col_api: "API",
                col_cases: "Test cases",
                col_base_url: "Base URL",
                col_total: "Total",
                col_id: "ID",
                col_description: "Description",
                col_expected: "Expected",
                col_actual: "Actual (HTTP / error code)",
                col_status: "Status",
                col_correlation: "Correlation id (sent / returned)",
                col_date: "Date",
                col_note: "Note / cause",
                col_measure: "Action",
                col_responsible: "Responsible",
                col_ref: "Ref",
                col_kind: "Type",
                col_identifier: "Identifier",
                col_name: "Name",
                col_tags: "Properties",
                col_source: "Source",
                col_role: "Role",
                col_signature: "Signature",
                col_case_step: "Test case / step",
                col_time: "Time",
                col_operation: "Operation",
                col_http: "HTTP",
                col_code: "Code",
                col_corr_sent: "Correlation id sent",
                col_corr_returned: "Correlation id returned",
                col_attempts: "Attempts",
                col_duration: "Duration",
                sent: "sent",
                returned: "returned",
                mandatory_mark: "*",
                mandatory_legend: "* = mandatory test case (counts towards the overall verdict).",
                synthetic_only: "Only synthetic test data was used (Skatteetaten's test data set, Tenor/Testnorge). \
                                 The report contains no real personal data.",
                no_deviations: "No test case has a deviation or an environment error.",
                deviations_intro: "Test cases with a deviation or an environment error. The team fills in the \
                                   Action and Responsible columns.",
                signature_intro: "The report has been reviewed and approved by:",
                sign_test_lead: "Test lead",
                sign_institution: "Responsible at the pension institution",
                log_intro: "Run log per test case and step. Metadata only: no message bodies, tokens or keys are \
                            included. Times in Europe/Oslo.",
                masked_note: "Personal identifiers in notes are masked (only the first six digits are shown).",
                verdict: "Overall verdict",
                history: "Earlier attempts",
                bits_case: "Bits case number",
                run_word: "run",
                conclusion_simulated: "This run used dsop-harness's embedded simulator. This conclusion can therefore not be used as the \
                 basis for the confirmation to Bits (C-7); the integration test must be run against the agencies' \
                 test environments.",
                not_given: "Not given",
                embedded_simulator: "embedded simulator",
                kv_document: "Document",
                kv_template_version: "Template version",
                kv_report_version: "Report version",
                kv_report_date: "Report date",
                kv_test_case_file: "Test case file",
                kv_workbook_sha256: "SHA-256 of the test case file",
                kv_run_id: "Run id",
                kv_environment: "Environment",
                org_no: "org. no.",
                kv_pension_institution: "Pension institution",
                kv_third_party_vendor: "Third-party vendor",
                kv_delegation: "Delegation",
                kv_business_contact: "Business contact",
                kv_technical_contact: "Technical contact",
                kv_test_lead: "Test lead",
                kv_maskinporten_issuer: "Maskinporten (issuer)",
                kv_token_endpoint: "Token endpoint",
                kv_maskinporten_client_id: "Maskinporten client id",
                kv_key_mode: "Key mode",
                kv_cert_subject: "Business certificate, subject",
                kv_cert_issuer: "Business certificate, issuer",
                kv_serial_number: "Serial number",
                kv_cert_validity: "Valid (from – to)",
                kv_cert_orgnr: "Org. no. in the certificate",
                kv_business_certificate: "Business certificate",
                kv_harness_version: "Harness version",
                kv_testdata_set: "Test data set from Skatteetaten",
                kv_number_of_test_persons: "Number of test persons",
                kv_number_of_organisations: "Number of organisations",
                kv_months_date: "Date the months were computed from",
                kv_test_period: "Test period",
                kv_run_by: "Run by",
                kv_tool: "Tool",
                kv_test_cases: "Test cases",
                header_system_user: " · SYSTEM USER – NOT VERIFIED AGAINST THE AGENCIES",
            },
        }
    }

    /// The eleven section headings, in order.
    pub fn headings(&self) -> [&'static str; 11] {
        [
            self.h1, self.h2, self.h3, self.h4, self.h5, self.h6, self.h7, self.h8, self.h9,
            self.h10, self.h11,
        ]
    }
}
