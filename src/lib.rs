//! fedcheck: placeholder
pub mod c14n;
pub mod xml;
