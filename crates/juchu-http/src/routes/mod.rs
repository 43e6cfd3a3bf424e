pub mod master;
pub mod orders;
pub mod shipping;
pub mod system;
