//! NAV Aa-registeret OTP API: `POST /aareg/v1/arbeidsforhold/otp/graphql`, a real GraphQL schema
//! (async-graphql) with the two queries of `nav-aareg-otp.md` §5, the types of §6, the period filtering of §7
//! and the errors of §8 (HTTP 200 with `errors[].extensions {errormessages, classification}`).

use super::auth::{authorize, AuthFail, SCOPE_AAREG};
use super::data::{self, Detaljer, Person};
use super::state::SimState;
use crate::ids::{is_valid_orgnr, is_valid_person_id};
use crate::months::YearMonth;
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, ErrorExtensions, Object, Schema, SimpleObject, ID,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

pub const CORRELATION_ID: &str = "correlation-id";

/// `yyyy-MM-dd`
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Date(pub String);
async_graphql::scalar!(Date);
/// `yyyy-MM`
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct YearMonthScalar(pub String);
async_graphql::scalar!(YearMonthScalar, "YearMonth");
/// `yyyy-MM-dd'T'HH:mm[:ss[.SSS]]`, local time without zone.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DateTime(pub String);
async_graphql::scalar!(DateTime);

#[derive(SimpleObject, Clone)]
pub struct Kodeverksentitet {
    kode: String,
    beskrivelse: Option<String>,
}

fn kode(k: &str, b: &str) -> Kodeverksentitet {
    Kodeverksentitet {
        kode: k.into(),
        beskrivelse: Some(b.into()),
    }
}

#[derive(SimpleObject, Clone)]
pub struct Arbeidstaker {
    ident: String,
}

#[derive(SimpleObject, Clone)]
pub struct Enhet {
    #[graphql(name = "type")]
    kind: String,
    ident: String,
}

#[derive(SimpleObject, Clone)]
pub struct Ansettelsesperiode {
    startdato: Date,
    sluttdato: Option<Date>,
    sluttaarsak: Option<Kodeverksentitet>,
    varsling: Option<Kodeverksentitet>,
}

#[derive(SimpleObject, Clone)]
pub struct Rapporteringsmaaneder {
    fra: YearMonthScalar,
    til: Option<YearMonthScalar>,
}

/// The fields every `Ansettelsesdetaljer` type has.
#[derive(Clone)]
pub struct Felles {
    kind: String,
    arbeidstidsordning: Option<Kodeverksentitet>,
    ansettelsesform: Option<Kodeverksentitet>,
    yrke: Option<Kodeverksentitet>,
    antall_timer_pr_uke: Option<f64>,
    avtalt_stillingsprosent: Option<f64>,
    siste_stillingsprosentendring: Option<Date>,
    siste_loennsendring: Option<Date>,
    rapporteringsmaaneder: Rapporteringsmaaneder,
}

/// The resolvers of the common fields, shared by the four concrete types.
macro_rules! felles_fields {
    ($t:ty $(, $extra:item)*) => {
        #[async_graphql::Object]
        impl $t {
            #[graphql(name = "type")]
            async fn kind(&self, _ctx: &Context<'_>) -> async_graphql::Result<&String> {
                Ok(&self.f.kind)
            }
            async fn arbeidstidsordning(&self, _ctx: &Context<'_>) -> async_graphql::Result<&Option<Kodeverksentitet>> {
                Ok(&self.f.arbeidstidsordning)
            }
            async fn ansettelsesform(&self, _ctx: &Context<'_>) -> async_graphql::Result<&Option<Kodeverksentitet>> {
                Ok(&self.f.ansettelsesform)
            }
            async fn yrke(&self, _ctx: &Context<'_>) -> async_graphql::Result<&Option<Kodeverksentitet>> {
                Ok(&self.f.yrke)
            }
            async fn antall_timer_pr_uke(&self, _ctx: &Context<'_>) -> async_graphql::Result<Option<f64>> {
                Ok(self.f.antall_timer_pr_uke)
            }
            async fn avtalt_stillingsprosent(&self, _ctx: &Context<'_>) -> async_graphql::Result<Option<f64>> {
                Ok(self.f.avtalt_stillingsprosent)
            }
            async fn siste_stillingsprosentendring(&self, _ctx: &Context<'_>) -> async_graphql::Result<&Option<Date>> {
                Ok(&self.f.siste_stillingsprosentendring)
            }
            async fn siste_loennsendring(&self, _ctx: &Context<'_>) -> async_graphql::Result<&Option<Date>> {
                Ok(&self.f.siste_loennsendring)
            }
            async fn rapporteringsmaaneder(&self, _ctx: &Context<'_>) -> async_graphql::Result<&Rapporteringsmaaneder> {
                Ok(&self.f.rapporteringsmaaneder)
            }
            $($extra)*
        }
    };
}

/// `OrdinaerAnsettelsesdetaljer` (ordinaertArbeidsforhold).
#[derive(Clone)]
pub struct OrdinaerAnsettelsesdetaljer {
    f: Felles,
}
/// `MaritimAnsettelsesdetaljer` (maritimtArbeidsforhold): also `fartsomraade`, `skipsregister`, `fartoeystype`.
#[derive(Clone)]
pub struct MaritimAnsettelsesdetaljer {
    f: Felles,
    fartsomraade: Option<Kodeverksentitet>,
    skipsregister: Option<Kodeverksentitet>,
    fartoeystype: Option<Kodeverksentitet>,
}
/// `ForenkletAnsettelsesdetaljer` (forenkletOppgjoersordning).
#[derive(Clone)]
pub struct ForenkletAnsettelsesdetaljer {
    f: Felles,
}
/// `FrilanserAnsettelsesdetaljer` (frilanserOppdragstakerHonorarPersonerMm).
#[derive(Clone)]
pub struct FrilanserAnsettelsesdetaljer {
    f: Felles,
}
felles_fields!(OrdinaerAnsettelsesdetaljer);
felles_fields!(
    MaritimAnsettelsesdetaljer,
    async fn fartsomraade(
        &self,
        _ctx: &Context<'_>,
    ) -> async_graphql::Result<&Option<Kodeverksentitet>> {
        Ok(&self.fartsomraade)
    },
    async fn skipsregister(
        &self,
        _ctx: &Context<'_>,
    ) -> async_graphql::Result<&Option<Kodeverksentitet>> {
        Ok(&self.skipsregister)
    },
    async fn fartoeystype(
        &self,
        _ctx: &Context<'_>,
    ) -> async_graphql::Result<&Option<Kodeverksentitet>> {
        Ok(&self.fartoeystype)
    }
);
felles_fields!(ForenkletAnsettelsesdetaljer);
felles_fields!(FrilanserAnsettelsesdetaljer);

/// The dist schema's `Ansettelsesdetaljer` interface with its four concrete types [nav §6]. The common fields
/// can be selected directly; `... on MaritimAnsettelsesdetaljer { fartsomraade { kode } }` works too.
// `ty = …` repeats by design (one per field): not a duplicated attribute.
#[allow(clippy::duplicated_attributes)]
#[derive(async_graphql::Interface, Clone)]
#[graphql(
    field(name = "type", method = "kind", ty = "&String"),
    field(name = "arbeidstidsordning", ty = "&Option<Kodeverksentitet>"),
    field(name = "ansettelsesform", ty = "&Option<Kodeverksentitet>"),
    field(name = "yrke", ty = "&Option<Kodeverksentitet>"),
    field(name = "antall_timer_pr_uke", ty = "Option<f64>"),
    field(name = "avtalt_stillingsprosent", ty = "Option<f64>"),
    field(name = "siste_stillingsprosentendring", ty = "&Option<Date>"),
    field(name = "siste_loennsendring", ty = "&Option<Date>"),
    field(name = "rapporteringsmaaneder", ty = "&Rapporteringsmaaneder")
)]
pub enum Ansettelsesdetaljer {
    Ordinaer(OrdinaerAnsettelsesdetaljer),
    Maritim(MaritimAnsettelsesdetaljer),
    Forenklet(ForenkletAnsettelsesdetaljer),
    Frilanser(FrilanserAnsettelsesdetaljer),
}

impl Ansettelsesdetaljer {
    fn yrke_value(&self) -> Option<Kodeverksentitet> {
        match self {
            Ansettelsesdetaljer::Ordinaer(d) => d.f.yrke.clone(),
            Ansettelsesdetaljer::Maritim(d) => d.f.yrke.clone(),
            Ansettelsesdetaljer::Forenklet(d) => d.f.yrke.clone(),
            Ansettelsesdetaljer::Frilanser(d) => d.f.yrke.clone(),
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct Permisjon {
    id: Option<String>,
    #[graphql(name = "type")]
    kind: Kodeverksentitet,
    startdato: Date,
    sluttdato: Option<Date>,
    prosent: f64,
    varsling: Option<Kodeverksentitet>,
}

#[derive(SimpleObject, Clone)]
pub struct TimerMedTimeloenn {
    antall: f64,
    startdato: Option<Date>,
    sluttdato: Option<Date>,
    rapporteringsmaaned: YearMonthScalar,
}

#[derive(SimpleObject, Clone)]
pub struct IdHistorikk {
    id: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub struct Varsel {
    entitet: Option<String>,
    varsling: Kodeverksentitet,
}

#[derive(SimpleObject, Clone)]
pub struct Arbeidsforhold {
    id: Option<String>,
    uuid: String,
    #[graphql(name = "type")]
    kind: Kodeverksentitet,
    arbeidstaker: Arbeidstaker,
    arbeidssted: Enhet,
    opplysningspliktig: Enhet,
    ansettelsesperiode: Ansettelsesperiode,
    ansettelsesdetaljer: Vec<Ansettelsesdetaljer>,
    permisjoner: Option<Vec<Permisjon>>,
    permitteringer: Option<Vec<Permisjon>>,
    timer_med_timeloenn: Option<Vec<TimerMedTimeloenn>>,
    id_historikk: Option<Vec<IdHistorikk>>,
    varsler: Option<Vec<Varsel>>,
    opprettet: DateTime,
    sist_bekreftet: DateTime,
    sist_endret: Option<DateTime>,
}

#[derive(SimpleObject, Clone)]
pub struct Arbeidsforholdoversikt {
    id: Option<String>,
    uuid: String,
    #[graphql(name = "type")]
    kind: Kodeverksentitet,
    arbeidstaker: Arbeidstaker,
    arbeidssted: Enhet,
    opplysningspliktig: Enhet,
    ansettelsesperiode: Ansettelsesperiode,
    yrke: Option<Kodeverksentitet>,
    id_historikk: Option<Vec<IdHistorikk>>,
    sist_endret: Option<DateTime>,
}

#[derive(SimpleObject, Clone)]
pub struct ArbeidsforholdoversikterPrOpplysningspliktig {
    arbeidsforholdoversikter: Option<Vec<Arbeidsforholdoversikt>>,
}

#[derive(SimpleObject, Clone)]
pub struct ArbeidsforholdPrArbeidstaker {
    arbeidsforhold: Option<Vec<Arbeidsforhold>>,
}

/// Per-request context: who calls.
pub struct Ctx {
    pub st: Arc<SimState>,
    pub institution: String,
}

fn aa_error(
    code: &str,
    message: &str,
    details: Option<&str>,
    classification: &str,
) -> async_graphql::Error {
    let top = match classification {
        "ValidationError" => "Ugyldig input",
        _ if code == "AA-201" => "En ukjent feil oppstod",
        _ => "Ugyldig data",
    };
    let em = json!([{ "code": code, "message": message, "details": details }]);
    let classification = classification.to_string();
    async_graphql::Error::new(top).extend_with(move |_, e| {
        e.set(
            "errormessages",
            async_graphql::Value::from_json(em.clone()).unwrap_or(async_graphql::Value::Null),
        );
        e.set("classification", classification.clone());
    })
}

fn validation(code: &str, message: &str, var: &str) -> async_graphql::Error {
    aa_error(code, message, Some(var), "ValidationError")
}

/// Validate the window arguments and check it against the agreement window (the virkningsperiode).
fn window(
    c: &Ctx,
    org: &str,
    fra: &str,
    til: Option<&str>,
) -> Result<(YearMonth, YearMonth), async_graphql::Error> {
    if !is_valid_orgnr(org) {
        return Err(validation(
            "AA-051",
            "Ugyldig verdi for opplysningspliktigId",
            "opplysningspliktigId",
        ));
    }
    let fra: YearMonth = fra.parse().map_err(|_| {
        validation(
            "AA-053",
            "Ugyldig verdi for ansattFraMaaned",
            "ansattFraMaaned",
        )
    })?;
    let til: YearMonth = match til {
        None => c.st.current_month(),
        Some(t) => t.parse().map_err(|_| {
            validation(
                "AA-054",
                "Ugyldig verdi for ansattTilMaaned",
                "ansattTilMaaned",
            )
        })?,
    };
    if til < fra {
        return Err(validation(
            "AA-055",
            "ansattTilMaaned er før ansattFraMaaned",
            "ansattTilMaaned",
        ));
    }
    let allowed = match c.st.cfg.nav_window {
        super::NavWindow::Virkningsperiode => c.st.virkningsperiode(&c.institution, org),
        super::NavWindow::Avtaleforhold => c.st.avtaleforhold(&c.institution, org),
    };
    if !super::rules::missing(&allowed, fra, til).is_empty() {
        return Err(aa_error(
            "AA-101",
            "Mangler tilgang for en eller flere perioder",
            None,
            "ExecutionAborted",
        ));
    }
    Ok((fra, til))
}

fn date(d: NaiveDate) -> Date {
    Date(d.to_string())
}

fn ym(m: YearMonth) -> YearMonthScalar {
    YearMonthScalar(m.to_string())
}

fn overlaps(start: NaiveDate, end: Option<NaiveDate>, fra: YearMonth, til: YearMonth) -> bool {
    start <= til.last_day() && end.is_none_or(|e| e >= fra.first_day())
}

fn detaljer(kind: &str, d: &Detaljer) -> Ansettelsesdetaljer {
    let form = if d.ansettelsesform == "fast" {
        "Fast ansettelse"
    } else {
        "Midlertidig ansettelse"
    };
    let type_name = match kind {
        data::MARITIMT => "Maritim",
        data::FRILANSER => "Frilanser",
        data::FORENKLET => "Forenklet",
        _ => "Ordinaer",
    };
    let f = Felles {
        kind: type_name.into(),
        arbeidstidsordning: Some(kode("ikkeSkift", "Ikke skift")),
        ansettelsesform: Some(kode(&d.ansettelsesform, form)),
        yrke: Some(kode(&d.yrke_kode, &d.yrke_beskrivelse)),
        antall_timer_pr_uke: Some(d.timer_pr_uke),
        avtalt_stillingsprosent: Some(d.stillingsprosent),
        siste_stillingsprosentendring: Some(date(d.fra.first_day())),
        siste_loennsendring: Some(date(d.fra.first_day())),
        rapporteringsmaaneder: Rapporteringsmaaneder {
            fra: ym(d.fra),
            til: d.til.map(ym),
        },
    };
    match type_name {
        "Maritim" => Ansettelsesdetaljer::Maritim(MaritimAnsettelsesdetaljer {
            f,
            fartsomraade: Some(kode("innenriks", "Innenriks")),
            skipsregister: Some(kode("nor", "Norsk ordinært skipsregister (NOR)")),
            fartoeystype: Some(kode("skip", "Skip")),
        }),
        "Frilanser" => Ansettelsesdetaljer::Frilanser(FrilanserAnsettelsesdetaljer { f }),
        "Forenklet" => Ansettelsesdetaljer::Forenklet(ForenkletAnsettelsesdetaljer { f }),
        _ => Ansettelsesdetaljer::Ordinaer(OrdinaerAnsettelsesdetaljer { f }),
    }
}

fn enheter(st: &SimState, p: &Person) -> (Enhet, Enhet) {
    (
        Enhet {
            kind: "Underenhet".into(),
            ident: st.data.virksomhet_of(&p.employer),
        },
        Enhet {
            kind: "Hovedenhet".into(),
            ident: p.employer.clone(),
        },
    )
}

fn periode(p: &Person) -> Ansettelsesperiode {
    let e = &p.employment;
    Ansettelsesperiode {
        startdato: date(e.startdato),
        sluttdato: e.sluttdato.map(date),
        sluttaarsak: e.sluttaarsak.as_ref().map(|(k, b)| kode(k, b)),
        varsling: None,
    }
}

fn arbeidsforhold_beskrivelse(kind: &str) -> &'static str {
    match kind {
        data::MARITIMT => "Maritimt arbeidsforhold",
        data::FRILANSER => "Frilanser, oppdragstaker, honorar, personer mm",
        data::FORENKLET => "Forenklet oppgjørsordning",
        _ => "Ordinært arbeidsforhold",
    }
}

/// The arbeidsforhold of `p` filtered to the window (§7), or `None` when it does not overlap.
fn arbeidsforhold(
    st: &SimState,
    p: &Person,
    fra: YearMonth,
    til: YearMonth,
) -> Option<Arbeidsforhold> {
    let e = &p.employment;
    if !overlaps(e.startdato, e.sluttdato, fra, til) {
        return None;
    }
    let mut det: Vec<Ansettelsesdetaljer> = e
        .detaljer
        .iter()
        .filter(|d| d.fra <= til && d.til.is_none_or(|t| t >= fra))
        .map(|d| detaljer(&e.kind, d))
        .collect();
    if det.is_empty() {
        if let Some(first) = e.detaljer.iter().min_by_key(|d| d.fra) {
            det.push(detaljer(&e.kind, first));
        }
    }
    let in_window = |list: &[data::Permisjon]| -> Vec<Permisjon> {
        list.iter()
            .filter(|x| overlaps(x.startdato, x.sluttdato, fra, til))
            .map(|x| Permisjon {
                id: Some(x.id.clone()),
                kind: kode(&x.kode, &x.beskrivelse),
                startdato: date(x.startdato),
                sluttdato: x.sluttdato.map(date),
                prosent: x.prosent,
                varsling: None,
            })
            .collect()
    };
    let permisjoner = in_window(&e.permisjoner);
    let permitteringer = in_window(&e.permitteringer);
    let timer = YearMonth::range(fra, til)
        .filter(|m| {
            st.data
                .income(p, *m)
                .iter()
                .any(|i| i.beskrivelse == "timeloenn")
        })
        .map(|m| TimerMedTimeloenn {
            antall: 12.5,
            startdato: Some(date(m.first_day())),
            sluttdato: Some(date(m.last_day())),
            rapporteringsmaaned: ym(m),
        })
        .collect();
    let (arbeidssted, opplysningspliktig) = enheter(st, p);
    Some(Arbeidsforhold {
        id: Some(e.id.clone()),
        uuid: e.uuid.clone(),
        kind: kode(&e.kind, arbeidsforhold_beskrivelse(&e.kind)),
        arbeidstaker: Arbeidstaker {
            ident: p.id.clone(),
        },
        arbeidssted,
        opplysningspliktig,
        ansettelsesperiode: periode(p),
        ansettelsesdetaljer: det,
        permisjoner: Some(permisjoner),
        permitteringer: Some(permitteringer),
        timer_med_timeloenn: Some(timer),
        id_historikk: Some(Vec::new()),
        varsler: Some(Vec::new()),
        opprettet: DateTime(e.opprettet.clone()),
        sist_bekreftet: DateTime(e.sist_bekreftet.clone()),
        sist_endret: Some(DateTime(e.sist_endret.clone())),
    })
}

pub struct Query;

#[Object]
impl Query {
    /// Overview of the arbeidsforhold of one opplysningspliktig (shielded persons are left out).
    async fn finn_arbeidsforholdoversikter_pr_opplysningspliktig(
        &self,
        ctx: &Context<'_>,
        opplysningspliktig_id: ID,
        ansatt_fra_maaned: String,
        ansatt_til_maaned: Option<String>,
    ) -> async_graphql::Result<Option<ArbeidsforholdoversikterPrOpplysningspliktig>> {
        let c = ctx.data::<Ctx>()?;
        let (fra, til) = window(
            c,
            &opplysningspliktig_id,
            &ansatt_fra_maaned,
            ansatt_til_maaned.as_deref(),
        )?;
        let list =
            c.st.data
                .persons
                .iter()
                .filter(|p| p.employer == opplysningspliktig_id.as_str() && !p.shielded)
                .filter_map(|p| {
                    let a = arbeidsforhold(&c.st, p, fra, til)?;
                    Some(Arbeidsforholdoversikt {
                        id: a.id,
                        uuid: a.uuid,
                        kind: a.kind,
                        arbeidstaker: a.arbeidstaker,
                        arbeidssted: a.arbeidssted,
                        opplysningspliktig: a.opplysningspliktig,
                        ansettelsesperiode: a.ansettelsesperiode,
                        yrke: a.ansettelsesdetaljer.last().and_then(|d| d.yrke_value()),
                        id_historikk: a.id_historikk,
                        sist_endret: a.sist_endret,
                    })
                })
                .collect();
        Ok(Some(ArbeidsforholdoversikterPrOpplysningspliktig {
            arbeidsforholdoversikter: Some(list),
        }))
    }

    /// The arbeidsforhold of one arbeidstaker at one opplysningspliktig.
    async fn finn_arbeidsforhold_pr_arbeidstaker(
        &self,
        ctx: &Context<'_>,
        opplysningspliktig_id: ID,
        arbeidstaker_id: ID,
        ansatt_fra_maaned: String,
        ansatt_til_maaned: Option<String>,
    ) -> async_graphql::Result<Option<ArbeidsforholdPrArbeidstaker>> {
        let c = ctx.data::<Ctx>()?;
        if !is_valid_orgnr(&opplysningspliktig_id) {
            return Err(validation(
                "AA-051",
                "Ugyldig verdi for opplysningspliktigId",
                "opplysningspliktigId",
            ));
        }
        if !is_valid_person_id(&arbeidstaker_id) {
            return Err(validation(
                "AA-052",
                "Ugyldig verdi for arbeidstakerId",
                "arbeidstakerId",
            ));
        }
        let (fra, til) = window(
            c,
            &opplysningspliktig_id,
            &ansatt_fra_maaned,
            ansatt_til_maaned.as_deref(),
        )?;
        let person =
            c.st.data
                .person(&arbeidstaker_id)
                .filter(|p| p.employer == opplysningspliktig_id.as_str());
        if person.is_some_and(|p| p.shielded) {
            return Err(aa_error(
                "AA-102",
                "Ingen tilgang grunnet skjerming",
                None,
                "ExecutionAborted",
            ));
        }
        let list = person
            .and_then(|p| arbeidsforhold(&c.st, p, fra, til))
            .into_iter()
            .collect();
        Ok(Some(ArbeidsforholdPrArbeidstaker {
            arbeidsforhold: Some(list),
        }))
    }
}

pub type AaregSchema = Schema<Query, EmptyMutation, EmptySubscription>;

pub fn schema() -> AaregSchema {
    Schema::build(Query, EmptyMutation, EmptySubscription).finish()
}

fn correlation_id(headers: &HeaderMap) -> String {
    headers
        .get(CORRELATION_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// A 200 JSON answer with the `correlation-id` header.
pub fn ok_json(body: &Value, headers: &HeaderMap) -> Response {
    let mut r = (StatusCode::OK, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&correlation_id(headers)) {
        r.headers_mut().insert(CORRELATION_ID, v);
    }
    r
}

/// A GraphQL error answer (HTTP 200) with one AA code and `data: {<query>: null}`.
pub fn error_body(code: &str, message: &str, classification: &str, query: Option<&str>) -> Value {
    let mut body = json!({
        "errors": [{
            "message": if code == "AA-201" { "En ukjent feil oppstod" } else { "Ugyldig data" },
            "locations": [],
            "extensions": {
                "errormessages": [{ "code": code, "message": message, "details": null }],
                "classification": classification,
            }
        }]
    });
    if let Some(q) = query {
        body["data"] = json!({ q: null });
    }
    body
}

/// NAV-style transport refusal: 401/403 with an empty body and `WWW-Authenticate`.
fn refuse(status: StatusCode, error: &'static str) -> Response {
    let mut r = status.into_response();
    r.headers_mut()
        .insert("www-authenticate", HeaderValue::from_static(error));
    r
}

pub async fn graphql(
    State((st, schema)): State<(Arc<SimState>, Arc<AaregSchema>)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match authorize(&st, &headers, SCOPE_AAREG) {
        Ok(c) => c,
        Err(AuthFail::Unauthenticated(_)) => {
            return refuse(StatusCode::UNAUTHORIZED, "Bearer error=\"invalid_token\"");
        }
        // Spring's resource server (NAV's sister API) answers a scope failure with 401 invalid_token;
        // which one the OTP API gives is unknown (switch `nav_missing_scope`).
        Err(AuthFail::Forbidden(_)) if st.cfg.switches.is("nav_missing_scope", "401") => {
            return refuse(StatusCode::UNAUTHORIZED, "Bearer error=\"invalid_token\"");
        }
        Err(AuthFail::Forbidden(_)) => {
            return refuse(StatusCode::FORBIDDEN, "Bearer error=\"insufficient_scope\"");
        }
    };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let mut b = error_body(
                "AA-001",
                &format!("Ugyldig GraphQL-forespørsel: {e}"),
                "ValidationError",
                None,
            );
            b["errors"][0]["message"] = json!("Ugyldig input");
            return ok_json(&b, &headers);
        }
    };
    let request = request.data(Ctx {
        st: st.clone(),
        institution: caller.institution,
    });
    let response = schema.execute(request).await;
    let mut v = serde_json::to_value(&response).unwrap_or_else(|_| json!({}));
    if let Some(errors) = v.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for e in errors.iter_mut() {
            if let Some(o) = e.as_object_mut() {
                o.insert("locations".into(), json!([]));
                o.remove("path");
                o.entry("extensions").or_insert_with(|| {
                    json!({
                        "errormessages": [{ "code": "AA-001", "message": "Ugyldig spørring", "details": null }],
                        "classification": "ValidationError",
                    })
                });
            }
        }
    }
    // NAV's examples show `"data": {"<query>": null}` next to errors; the sister API removes `data`
    // (nav-aareg-otp.md §8.1): `SimConfig::aareg_error_data` picks one.
    if v.get("errors").is_some() {
        match st.cfg.aareg_error_data {
            super::AaregErrorData::Null => {
                if v.get("data").is_none_or(|d| d.is_null()) {
                    if let Some(q) = query_name(&body) {
                        v["data"] = json!({ q: null });
                    }
                }
            }
            super::AaregErrorData::Removed => {
                if let Some(o) = v.as_object_mut() {
                    o.remove("data");
                }
            }
        }
    }
    ok_json(&v, &headers)
}

/// Which query a GraphQL request body names (for fault answers' `data`).
pub fn query_name(body: &[u8]) -> Option<&'static str> {
    let text = std::str::from_utf8(body).ok()?;
    [
        "finnArbeidsforholdoversikterPrOpplysningspliktig",
        "finnArbeidsforholdPrArbeidstaker",
    ]
    .into_iter()
    .find(|q| text.contains(q))
}
