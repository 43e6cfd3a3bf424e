//! What every action on an order does around its use case: read the signed-in page, the CSRF-
//! checked form and the order id from the path; check the role; then come back to the order — a
//! 303 with a message when the use case worked, or the page as the order is now with the reason
//! when it refused.

use super::form::Fields;
use super::order_detail::{self, parse_order_id, refusal};
use crate::ctx::{ConsoleState, CsrfForm, Flash, Page};
use crate::error::ConsoleError;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::response::Response;
use juchu_app::AppError;
use juchu_domain::{Actor, OrderId, Role};
use std::collections::HashMap;

/// One posted action form on order `id` (`/orders/{id}/…`), its token already checked.
pub struct Act {
    pub s: ConsoleState,
    pub page: Page,
    pub id: OrderId,
    pub f: Fields,
    /// The path's other parameters (`sid`, `rid`).
    params: HashMap<String, String>,
}

impl Act {
    pub fn actor(&self) -> Actor {
        self.page.actor()
    }

    /// A parameter of the path besides the order id.
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }

    /// Runs `work` if the user's role is one of `allowed` (else the 403 page), and answers with
    /// its outcome; `action` names it in the refusal ("キャンセル" → 「キャンセルできません」).
    pub async fn run(
        self,
        allowed: &[Role],
        action: (&str, &str),
        work: impl AsyncFnOnce(&Act) -> Result<Done, AppError>,
    ) -> Result<Response, ConsoleError> {
        self.page.require(allowed)?;
        let outcome = work(&self).await;
        match outcome {
            Ok(d) => Ok(self.s.redirect_flash(
                &format!("/orders/{}", d.to.unwrap_or(self.id)),
                Flash::ok(self.page.t(d.ja, d.en)),
            )),
            Err(e) => {
                let (status, why) = refusal(action, e)?;
                order_detail::render(&self.s, self.page, self.id, Some(why), status).await
            }
        }
    }
}

impl FromRequest<ConsoleState> for Act {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &ConsoleState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let page = Page::from_request_parts(&mut parts, state).await?;
        let Path(mut params) =
            Path::<HashMap<String, String>>::from_request_parts(&mut parts, state)
                .await
                .map_err(|e| ConsoleError::NotFound(e.to_string()))?;
        let id = parse_order_id(&params.remove("id").unwrap_or_default())?;
        let CsrfForm(fields) = CsrfForm::<Vec<(String, String)>>::from_request(
            Request::from_parts(parts, body),
            state,
        )
        .await?;
        Ok(Act {
            s: state.clone(),
            page,
            id,
            f: Fields(fields),
            params,
        })
    }
}

/// What a successful action says on the page it leads to (the order's, or `to`).
pub struct Done {
    ja: &'static str,
    en: &'static str,
    to: Option<OrderId>,
}

pub fn done(ja: &'static str, en: &'static str) -> Done {
    Done { ja, en, to: None }
}

impl Done {
    /// Go to another order's page (the new order of a split).
    pub fn at(self, to: OrderId) -> Done {
        Done {
            to: Some(to),
            ..self
        }
    }
}
