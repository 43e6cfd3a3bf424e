//! The pure rules of juchu: ids, money and tax, the order and its status graph, holds, payments,
//! allocation planning and shipments. No I/O, no async, no SQL, no HTTP.

pub mod actor;
pub mod allocation;
pub mod bank;
pub mod cancel;
pub mod carrier;
pub mod combine;
pub mod delivery;
pub mod error;
pub mod event;
pub mod ids;
pub mod intake;
pub mod invariants;
pub mod journal;
pub mod lifecycle;
pub mod limits;
pub mod modify;
pub mod money;
pub mod order;
pub mod payment;
pub mod payout;
pub mod points;
pub mod policy;
pub mod purchasing;
pub mod recognition;
pub mod returns;
pub mod review;
pub mod secret;
pub mod shipment;
pub mod split;
pub mod status;
pub mod stock;
pub mod tax;
pub mod totals;

pub use actor::{Actor, Role};
pub use error::{DomainError, FieldError};
pub use event::Event;
pub use ids::PurchaseOrderId;
pub use ids::{BatchId, LineId, OrderId, ReturnId, ShipmentId};
pub use money::{Currency, Money};
pub use order::{Address, Customer, Delivery, Fee, Hold, HoldCode, Line, Order, Totals};
pub use secret::Secret;
pub use status::OrderStatus;
pub use tax::{Rounding, TaxLine, TaxRate};
