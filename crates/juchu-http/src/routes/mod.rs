pub mod carriers;
pub mod master;
pub mod modify;
pub mod orders;
pub mod review;
pub mod shipping;
pub mod split;
pub mod system;
