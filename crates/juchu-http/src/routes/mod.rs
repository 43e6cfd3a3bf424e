pub mod master;
pub mod orders;
pub mod shipping;
pub mod split;
pub mod system;
