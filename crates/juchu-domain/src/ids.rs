//! Identifiers. Every id is a UUID v7 (time-ordered, so ids sort by creation).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// An order.
    OrderId
);
uuid_id!(
    /// A line of an order; unique across orders so that split parts keep their line ids.
    LineId
);
uuid_id!(
    /// A shipment (one parcel from one warehouse).
    ShipmentId
);
uuid_id!(
    /// A batch of shipping instructions sent to one warehouse.
    BatchId
);
uuid_id!(
    /// A purchase order (発注) to a supplier.
    PurchaseOrderId
);
uuid_id!(
    /// A return (返品) of some shipped goods.
    ReturnId
);
