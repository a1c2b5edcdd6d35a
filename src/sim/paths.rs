//! The user's own path templates (`[profile.*] *_path`), served by the simulator: a request whose path
//! matches one of them below an API's base path is rewritten to the simulator's own route before routing
//! (`dsop-harness rehearse`, docs/rehearse.md).

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::sync::Arc;

/// One rewrite: below `base` (e.g. `/inntekt/v1`), the user's `template` stands for the simulator's `own`.
#[derive(Clone, Debug)]
struct Rewrite {
    base: String,
    template: Vec<String>,
    own: Vec<String>,
}

/// The user's templates that differ from the simulator's routes.
#[derive(Clone, Debug, Default)]
pub struct PathTemplates {
    rewrites: Vec<Rewrite>,
}

fn segments(t: &str) -> Vec<String> {
    t.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl PathTemplates {
    /// From the harness's endpoints: each template that differs from the default one is served too.
    pub fn from_endpoints(ep: &crate::apis::Endpoints) -> PathTemplates {
        let d = crate::apis::Endpoints::default();
        let pairs = [
            ("/inntekt/v1", &ep.inntekt_path, &d.inntekt_path),
            (
                "/inntektsmottakere/v1",
                &ep.inntektsmottakere_path,
                &d.inntektsmottakere_path,
            ),
            (
                "/tjenestepensjonsavtale/v1",
                &ep.avtaleforhold_gyldighet_path,
                &d.avtaleforhold_gyldighet_path,
            ),
            (
                "/tjenestepensjonsavtale/v1",
                &ep.avtaleforhold_path,
                &d.avtaleforhold_path,
            ),
        ];
        PathTemplates {
            rewrites: pairs
                .into_iter()
                .filter(|(_, user, own)| segments(user) != segments(own))
                .map(|(base, user, own)| Rewrite {
                    base: base.to_string(),
                    template: segments(user),
                    own: segments(own),
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rewrites.is_empty()
    }

    /// The simulator's own path for `path`, when it matches a user template.
    pub fn rewrite(&self, path: &str) -> Option<String> {
        for r in &self.rewrites {
            let Some(rest) = path.strip_prefix(&r.base) else {
                continue;
            };
            let got = segments(rest);
            if got.len() != r.template.len() {
                continue;
            }
            let mut vars = std::collections::HashMap::new();
            let fits = r.template.iter().zip(&got).all(|(t, g)| {
                if t.starts_with('{') && t.ends_with('}') {
                    vars.insert(t.clone(), g.clone());
                    true
                } else {
                    t == g
                }
            });
            if !fits {
                continue;
            }
            let own: Option<Vec<String>> = r
                .own
                .iter()
                .map(|s| match s.starts_with('{') {
                    true => vars.get(s).cloned(),
                    false => Some(s.clone()),
                })
                .collect();
            if let Some(own) = own {
                return Some(format!("{}/{}", r.base, own.join("/")));
            }
        }
        None
    }

    /// `app`, behind a layer that rewrites the user's paths before the routes are matched.
    pub fn wrap(self, app: Router) -> Router {
        if self.is_empty() {
            return app;
        }
        let me = Arc::new(self);
        Router::new()
            .fallback_service(app)
            .layer(middleware::from_fn(move |req: Request, next: Next| {
                let me = me.clone();
                async move { me.apply(req, next).await }
            }))
    }

    async fn apply(&self, mut req: Request, next: Next) -> Response {
        if let Some(p) = self.rewrite(req.uri().path()) {
            let pq = match req.uri().query() {
                Some(q) => format!("{p}?{q}"),
                None => p,
            };
            if let Ok(uri) = pq.parse::<axum::http::Uri>() {
                *req.uri_mut() = uri;
            }
        }
        next.run(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_template_maps_to_the_simulators_route() {
        let ep = crate::apis::Endpoints {
            inntektsmottakere_path: "/otp/{rettighetspakke}/mottakere/{opplysningspliktig}".into(),
            ..Default::default()
        };
        let p = PathTemplates::from_endpoints(&ep);
        assert_eq!(
            p.rewrite("/inntektsmottakere/v1/otp/nav/mottakere/987654321")
                .as_deref(),
            Some("/inntektsmottakere/v1/nav/987654321/inntektsmottakere")
        );
        assert_eq!(p.rewrite("/inntekt/v1/x/y/inntekter"), None);
        assert!(PathTemplates::from_endpoints(&Default::default()).is_empty());
    }
}
