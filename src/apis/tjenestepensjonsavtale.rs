//! Skatteetaten Tjenestepensjonsavtale API: register/change (POST) and delete (DELETE with a JSON body)
//! `…/{rettighetspakke}/avtaleforhold`, and the validity GET (the `nav` package's; `otp` is refused).

use super::{fill_template, ApiCall, Endpoints};

pub fn build(
    http: &reqwest::Client,
    ep: &Endpoints,
    call: &ApiCall,
    correlation_id: &str,
) -> reqwest::RequestBuilder {
    let base = ep.tjenestepensjonsavtale.trim_end_matches('/');
    let rb = match call {
        ApiCall::AvtaleforholdPost {
            rettighetspakke,
            body,
        } => {
            let path = fill_template(
                &ep.avtaleforhold_path,
                &[("rettighetspakke", rettighetspakke)],
            );
            http.post(format!("{base}{path}")).json(body)
        }
        ApiCall::AvtaleforholdDelete {
            rettighetspakke,
            body,
        } => {
            let path = fill_template(
                &ep.avtaleforhold_path,
                &[("rettighetspakke", rettighetspakke)],
            );
            http.delete(format!("{base}{path}")).json(body)
        }
        ApiCall::AvtaleforholdGyldighet {
            rettighetspakke,
            query,
        } => {
            let path = fill_template(
                &ep.avtaleforhold_gyldighet_path,
                &[("rettighetspakke", rettighetspakke)],
            );
            http.get(format!("{base}{path}")).query(query)
        }
        other => unreachable!("tjenestepensjonsavtale::build called with {other:?}"),
    };
    rb.header("Korrelasjonsid", correlation_id)
        .header("Accept", "application/json")
}
