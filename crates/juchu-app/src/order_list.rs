//! The order list (API `GET /api/v1/orders` and the console's 受注一覧): filters, sorts, keyset
//! pages; and the counts of the console's home.

use crate::{App, AppError};
use jiff::civil::Date;
use jiff::tz::{TimeZone, offset};
use juchu_domain::order::normalize_search;
use juchu_domain::payment::{PaymentMethod, PaymentStatus};
use juchu_domain::{HoldCode, Order, OrderId, OrderStatus};
use juchu_store::{HoldFilter, OrderCursor, OrderFilter, OrderSort};

#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    pub status: Option<OrderStatus>,
    pub channel: Option<String>,
    pub q: Option<String>,
    pub payment_method: Option<PaymentMethod>,
    pub payment_status: Option<PaymentStatus>,
    pub hold: Option<HoldFilter>,
    pub warehouse: Option<String>,
    /// First day ordered (Asia/Tokyo), included.
    pub ordered_from: Option<Date>,
    /// Last day ordered (Asia/Tokyo), included.
    pub ordered_to: Option<Date>,
    /// Default `created`: newest first by the time juchu took the order in.
    pub sort: OrderSort,
    pub ascending: bool,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The list's query string as the API and the console take it (every field optional, text as
/// sent); `query()` checks it into an `OrderQuery`.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderListParams {
    /// One of the statuses.
    pub status: Option<String>,
    pub channel: Option<String>,
    /// Order number, external id, customer name / kana, e-mail, phone or tracking number
    /// (a substring; three characters or more use the search index).
    pub q: Option<String>,
    /// `credit_card`, `bank_transfer`, `deferred`, `amazon_pay` or `cod`.
    pub payment_method: Option<String>,
    /// A payment status (`authorized`, `awaiting_payment`, `paid`, …).
    pub payment_status: Option<String>,
    /// `any` (on hold, not cancelled), `none` (not on hold) or a hold code (`notes`, `high_amount`, …).
    pub hold: Option<String>,
    /// Orders with stock allocated in or a shipment from this warehouse.
    pub warehouse: Option<String>,
    /// First day ordered, YYYY-MM-DD (Asia/Tokyo), included.
    pub ordered_from: Option<String>,
    /// Last day ordered, YYYY-MM-DD (Asia/Tokyo), included.
    pub ordered_to: Option<String>,
    /// `created` (default: the time juchu took the order in), `ordered_at`, `number` or `total`.
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    pub direction: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (same filters and sort).
    pub cursor: Option<String>,
}

/// `Some(value)` unless empty (an empty form field means "any").
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl OrderListParams {
    pub fn query(&self) -> Result<OrderQuery, AppError> {
        let one_of = |field: &str, allowed: &str| {
            AppError::invalid(field, format!("must be one of {allowed}"))
        };
        let status = given(&self.status)
            .map(|s| {
                s.parse::<OrderStatus>()
                    .map_err(|m| AppError::invalid("status", m))
            })
            .transpose()?;
        let payment_method = given(&self.payment_method)
            .map(|s| {
                PaymentMethod::parse(s).ok_or_else(|| {
                    one_of(
                        "payment_method",
                        "credit_card, bank_transfer, deferred, amazon_pay, cod",
                    )
                })
            })
            .transpose()?;
        let payment_status = given(&self.payment_status)
            .map(|s| {
                PaymentStatus::parse(s).ok_or_else(|| {
                    let all: Vec<&str> = PaymentStatus::ALL.iter().map(|p| p.as_str()).collect();
                    one_of("payment_status", &all.join(", "))
                })
            })
            .transpose()?;
        let hold = match given(&self.hold) {
            None => None,
            Some("any") => Some(HoldFilter::Any),
            Some("none") => Some(HoldFilter::None),
            Some(code) => Some(HoldFilter::Code(HoldCode::parse(code).ok_or_else(
                || {
                    let all: Vec<&str> = HoldCode::ALL.iter().map(|c| c.as_str()).collect();
                    one_of("hold", &format!("any, none, {}", all.join(", ")))
                },
            )?)),
        };
        let date = |field: &str, v: &Option<String>| {
            given(v)
                .map(|s| crate::accounting::parse_date(field, s))
                .transpose()
        };
        let sort = match given(&self.sort) {
            None => OrderSort::Created,
            Some(s) => OrderSort::parse(s)
                .ok_or_else(|| one_of("sort", "created, ordered_at, number, total"))?,
        };
        let ascending = match given(&self.direction) {
            None | Some("desc") => false,
            Some("asc") => true,
            Some(_) => return Err(one_of("direction", "asc, desc")),
        };
        Ok(OrderQuery {
            status,
            channel: given(&self.channel).map(str::to_owned),
            q: given(&self.q).map(str::to_owned),
            payment_method,
            payment_status,
            hold,
            warehouse: given(&self.warehouse).map(str::to_owned),
            ordered_from: date("ordered_from", &self.ordered_from)?,
            ordered_to: date("ordered_to", &self.ordered_to)?,
            sort,
            ascending,
            limit: self.limit,
            cursor: given(&self.cursor).map(str::to_owned),
        })
    }
}

/// 00:00 of `day` in Japan (no daylight saving time there).
fn start_of_day_jst(field: &str, day: Date) -> Result<jiff::Timestamp, AppError> {
    day.to_zoned(TimeZone::fixed(offset(9)))
        .map(|z| z.timestamp())
        .map_err(|e| AppError::invalid(field, e.to_string()))
}

/// A cursor names the sort it belongs to, so a cursor of another sort is refused instead of
/// silently skipping rows: the plain order id for `created` (as before), else
/// `SORT.DIR.KEY.ID`.
fn encode_cursor(q: &OrderQuery, last: &Order) -> String {
    let key = match q.sort {
        OrderSort::Created if !q.ascending => return last.id.to_string(),
        OrderSort::Created => 0,
        OrderSort::OrderedAt => last.ordered_at.as_microsecond(),
        OrderSort::Number => last.number,
        OrderSort::Total => last.totals.total.minor(),
    };
    let dir = if q.ascending { "asc" } else { "desc" };
    format!("{}.{dir}.{key}.{}", q.sort.as_str(), last.id)
}

fn decode_cursor(q: &OrderQuery, c: &str) -> Result<OrderCursor, AppError> {
    let bad = || {
        AppError::invalid(
            "cursor",
            "is not a cursor from a previous page of this sort",
        )
    };
    let parts: Vec<&str> = c.split('.').collect();
    match parts.as_slice() {
        [id] if q.sort == OrderSort::Created && !q.ascending => Ok(OrderCursor {
            key: 0,
            id: id.parse::<OrderId>().map_err(|_| bad())?,
        }),
        [sort, dir, key, id] => {
            let dir_ok = (*dir == "asc") == q.ascending && matches!(*dir, "asc" | "desc");
            if *sort != q.sort.as_str() || !dir_ok {
                return Err(bad());
            }
            Ok(OrderCursor {
                key: key.parse().map_err(|_| bad())?,
                id: id.parse().map_err(|_| bad())?,
            })
        }
        _ => Err(bad()),
    }
}

impl App {
    /// A page of orders in the query's sort and the cursor of the next page.
    pub async fn list_orders(
        &self,
        q: OrderQuery,
    ) -> Result<(Vec<Order>, Option<String>), AppError> {
        let limit = q.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 500"));
        }
        let after = match q.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(&q, c)?),
        };
        if let (Some(from), Some(to)) = (q.ordered_from, q.ordered_to)
            && to < from
        {
            return Err(AppError::invalid(
                "ordered_to",
                format!("{to} is before ordered_from ({from})"),
            ));
        }
        let ordered_before = match q.ordered_to {
            Some(to) => Some(start_of_day_jst(
                "ordered_to",
                to.tomorrow()
                    .map_err(|e| AppError::invalid("ordered_to", e.to_string()))?,
            )?),
            None => None,
        };
        let filter = OrderFilter {
            status: q.status,
            channel: q.channel.clone().filter(|c| !c.is_empty()),
            q: q.q
                .as_deref()
                .map(|s| normalize_search(s.trim()))
                .filter(|s| !s.is_empty()),
            payment_method: q.payment_method,
            payment_status: q.payment_status,
            hold: q.hold,
            warehouse: q.warehouse.clone().filter(|w| !w.is_empty()),
            ordered_from: q
                .ordered_from
                .map(|d| start_of_day_jst("ordered_from", d))
                .transpose()?,
            ordered_before,
            sort: q.sort,
            ascending: q.ascending,
            after,
            limit: limit + 1,
        };
        let mut orders = self.store.list_orders(&filter).await?;
        let next = if orders.len() as i64 > limit {
            orders.truncate(limit as usize);
            orders.last().map(|o| encode_cursor(&q, o))
        } else {
            None
        };
        Ok((orders, next))
    }

    /// Orders waiting on a hold (cancelled ones aside) per reason, in the order of `HoldCode::ALL`;
    /// reasons with none are left out.
    pub async fn hold_counts(&self) -> Result<Vec<(HoldCode, i64)>, AppError> {
        let found = self.store.count_holds().await?;
        Ok(HoldCode::ALL
            .into_iter()
            .filter_map(|c| {
                found
                    .iter()
                    .find(|(f, _)| *f == c)
                    .map(|(_, n)| (c, *n))
                    .filter(|(_, n)| *n > 0)
            })
            .collect())
    }
}
