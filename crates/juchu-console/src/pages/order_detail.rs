//! 受注詳細: `GET /orders/{id}` — everything about one order, and the forms of the actions the
//! status, the policy and the viewer's role allow (each posts to `order_actions` /
//! `shipment_actions`, which come back here with a message).

use super::labels;
use super::order_view::OrderView;
use crate::ctx::{ConsoleState, Page};
use crate::error::ConsoleError;
use crate::routes::Routes;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use juchu_app::AppError;
use juchu_domain::actor::roles;
use juchu_domain::{Money, Order, OrderId, OrderStatus};

pub fn router() -> Routes {
    Routes::default().get("/orders/{id}", show)
}

/// Why an action was refused, shown above the order as it is now: Japanese first, then English
/// with the rule's own words.
pub struct Refusal {
    pub ja: String,
    pub en: String,
}

/// Which actions the page offers. Each is asked of the domain on a copy of the order (so the
/// page never offers what the use case would refuse for the status or the policy), and of the
/// same role sets as the API.
#[derive(Default)]
pub struct Can {
    pub release_hold: bool,
    pub edit: bool,
    pub split: bool,
    pub split_allocated: bool,
    pub cancel: bool,
    /// After shipping instruction a cancel is a request to the warehouse.
    pub cancel_is_request: bool,
    pub confirm_payment: bool,
    pub allocate: bool,
    pub instruct: bool,
    /// Ship, deliver, answer a cancel request, receive a return (per shipment / return).
    pub shipping: bool,
    pub correct_delivery: bool,
    pub request_return: bool,
}

impl Can {
    fn of(page: &Page, o: &Order, policies: &juchu_domain::policy::Policies) -> Can {
        let may = |r: &[juchu_domain::Role]| page.require(r).is_ok();
        let actor = page.actor();
        let now = o.updated_at;
        let cancel =
            may(roles::ORDER_CANCEL) && o.clone().cancel("check", policies, &actor, now).is_ok();
        let confirm_payment = may(roles::PAYMENT_CONFIRM)
            && o.clone()
                .confirm_payment(Money::yen(1), None, &actor, now)
                .is_ok();
        let split =
            may(roles::ORDER_REVIEW) && o.lines.iter().any(|l| o.check_split(&[(l.id, 1)]).is_ok());
        Can {
            release_hold: may(roles::ORDER_REVIEW) && !o.holds.is_empty(),
            edit: may(roles::ORDER_CREATE) && o.check_modifiable(policies, &actor).is_ok(),
            split,
            split_allocated: split
                && o.status == OrderStatus::PartiallyAllocated
                && !o.allocated_part().is_empty(),
            cancel,
            cancel_is_request: o.status == OrderStatus::ShippingInstructed,
            confirm_payment,
            allocate: may(roles::ORDER_REVIEW) && o.ready_for_allocation(policies),
            instruct: may(roles::SHIPPING) && o.instruction_blocker().is_none(),
            shipping: may(roles::SHIPPING),
            correct_delivery: may(roles::ORDER_REVIEW),
            request_return: may(roles::RETURN_REQUEST)
                && o.lines.iter().any(|l| o.returnable_quantity(l.id) > 0),
        }
    }

    pub fn any(&self) -> bool {
        self.release_hold
            || self.edit
            || self.split
            || self.cancel
            || self.confirm_payment
            || self.allocate
            || self.instruct
            || self.request_return
    }
}

#[derive(Template)]
#[template(path = "order_detail.html")]
struct Detail {
    page: Page,
    o: Order,
    v: OrderView,
    can: Can,
    refusal: Option<Refusal>,
    warehouses: Vec<String>,
    carriers: Vec<(&'static str, &'static str)>,
    /// Whether the viewer may receive goods at once (warehouse work) when announcing a return.
    may_receive: bool,
}

async fn show(
    State(s): State<ConsoleState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    page.require(roles::READ)?;
    let id = parse_order_id(&id)?;
    render(&s, page, id, None, StatusCode::OK).await
}

pub fn parse_order_id(s: &str) -> Result<OrderId, ConsoleError> {
    s.parse().map_err(|_| {
        ConsoleError::NotFound(format!("注文 {s} は見つかりません。/ Order {s} not found."))
    })
}

/// The page of order `id`, sent with `status`: a refused action shows the page again, as the
/// order is now, with the reason and a 409 or 422.
pub async fn render(
    s: &ConsoleState,
    page: Page,
    id: OrderId,
    refusal: Option<Refusal>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let o = s.app.load_order(id).await?;
    let events = s.app.order_events(id).await?;
    let warehouses = s
        .app
        .list_warehouses()
        .await?
        .into_iter()
        .map(|w| w.code)
        .collect();
    let v = OrderView::new(page.lang, &o, &events);
    let can = Can::of(&page, &o, &s.app.policies);
    let lang = page.lang;
    let detail = Detail {
        may_receive: page.require(roles::SHIPPING).is_ok(),
        page,
        o,
        v,
        can,
        refusal,
        warehouses,
        carriers: labels::CARRIERS
            .iter()
            .map(|(c, value)| (*value, labels::carrier(lang, *c)))
            .collect(),
    };
    Ok((status, crate::render(&detail)?).into_response())
}

/// How a refused action reads, Japanese first, and the status the page comes back with.
/// Failures of our own (the database, a template) stay errors: they are not refusals.
pub fn refusal(action: (&str, &str), e: AppError) -> Result<(StatusCode, Refusal), ConsoleError> {
    let (act_ja, act_en) = action;
    let en = format!("{act_en} was refused: {e}");
    let (status, ja) = match &e {
        AppError::InvalidTransition { status, .. } => (
            StatusCode::CONFLICT,
            match status {
                Some(s) => format!("{act_ja}できません（現在のステータス: {}）。", s.label_ja()),
                None => format!("{act_ja}できません。"),
            },
        ),
        AppError::VersionConflict { .. } => (
            StatusCode::CONFLICT,
            "ほかの操作で注文が更新されました。最新の内容を確認して、もう一度お試しください。"
                .to_owned(),
        ),
        AppError::Invalid(fields) => {
            let list = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Refusal {
                    ja: format!("{act_ja}できません。入力内容を確認してください。"),
                    en: format!("{act_en} was refused: {list}"),
                },
            ));
        }
        AppError::InsufficientStock { warehouse, sku } => (
            StatusCode::CONFLICT,
            format!("{act_ja}できません。在庫が足りません（{warehouse} / {sku}）。"),
        ),
        AppError::InsufficientPoints { .. } => (
            StatusCode::CONFLICT,
            format!("{act_ja}できません。ポイント残高が足りません。"),
        ),
        AppError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            format!("{act_ja}できません。対象が見つかりません。"),
        ),
        AppError::DuplicateOrder { .. } => (
            StatusCode::CONFLICT,
            format!("{act_ja}できません。同じ注文がすでにあります。"),
        ),
        AppError::Busy | AppError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{act_ja}できませんでした。混み合っているか外部サービスに接続できません。しばらくしてからもう一度お試しください。"
            ),
        ),
        AppError::Forbidden(_) | AppError::Store(_) | AppError::Mail(_) => {
            return Err(ConsoleError::App(e));
        }
    };
    Ok((status, Refusal { ja, en }))
}
