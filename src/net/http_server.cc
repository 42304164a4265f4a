namespace sluice::net {}
