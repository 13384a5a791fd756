fn main() { grouplab::start(); }
