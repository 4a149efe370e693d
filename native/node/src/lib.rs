//! (binding under construction)
