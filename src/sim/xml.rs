//! XML answers of the Skatteetaten APIs (`Accept: application/xml`): the JSON answer rendered as XML, with the
//! root element and namespace of the API's XSD where one is published (`feil`, `inntektsmottakere`), else
//! our own choice (docs/simulator.md §4).

use serde_json::Value;

/// Whether the request asks for XML: the first JSON or XML media type of `Accept` is an XML one.
pub fn wants_xml(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return false };
    accept
        .split(',')
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .find(|t| matches!(*t, "application/json" | "application/xml" | "text/xml"))
        .is_some_and(|t| t != "application/json")
}

fn element(out: &mut String, name: &str, v: &Value) {
    match v {
        Value::Null => {}
        Value::Array(items) => {
            for i in items {
                element(out, name, i);
            }
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                element(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::String(s) => out.push_str(&format!(
            "<{name}>{}</{name}>",
            quick_xml::escape::escape(s.as_str())
        )),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

/// The root element and namespace for an answer of `api` (`inntekt`, `inntektsmottakere`,
/// `tjenestepensjonsavtale`) with this JSON body.
fn root(api: &str, body: &Value) -> (&'static str, &'static str) {
    if body.get("kode").is_some() && body.get("melding").is_some() {
        return ("feil", "urn:no:skatteetaten:datasamarbeid:feil:v1");
    }
    match api {
        "inntektsmottakere" => (
            "inntektsmottakere",
            "urn:no:skatteetaten:datasamarbeid:inntektsmottaker:rapporterte:v1",
        ),
        "inntekt" => ("inntekter", "urn:no:skatteetaten:datasamarbeid:inntekt:v1"),
        _ if body.get("maanederUtenforGyldigVirkningsperiode").is_some() => (
            "virkningsperiodegyldighet",
            "urn:no:skatteetaten:datasamarbeid:tjenestepensjonsavtale:virkningsperiodegyldighet:v1",
        ),
        _ => (
            "avtaleforholdgyldighet",
            "urn:no:skatteetaten:datasamarbeid:tjenestepensjonsavtale:avtaleforholdgyldighet:v1",
        ),
    }
}

/// The JSON answer `body` of `api` as an XML document.
pub fn render(api: &str, body: &Value) -> String {
    let (name, ns) = root(api, body);
    let mut out = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><{name} xmlns=\"{ns}\">");
    if let Value::Object(map) = body {
        for (k, v) in map {
            element(&mut out, k, v);
        }
    }
    out.push_str(&format!("</{name}>"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_feil_and_lists() {
        let x = render(
            "inntekt",
            &serde_json::json!({"kode": "IM-006", "melding": "a<b", "korrelasjonsid": "c"}),
        );
        assert!(x.contains(
            "<feil xmlns=\"urn:no:skatteetaten:datasamarbeid:feil:v1\"><kode>IM-006</kode>"
        ));
        assert!(x.contains("<melding>a&lt;b</melding>"));
        let x = render(
            "inntektsmottakere",
            &serde_json::json!({"inntektsmottaker": [{"personidentifikator": "1"}, {"personidentifikator": "2"}]}),
        );
        assert_eq!(x.matches("<inntektsmottaker>").count(), 2);
        assert!(wants_xml(Some("application/xml")));
        assert!(!wants_xml(Some("application/json, application/xml")));
        assert!(!wants_xml(None));
    }
}
