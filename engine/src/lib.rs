//! GroupLab engine
