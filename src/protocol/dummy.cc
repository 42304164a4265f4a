namespace sluice::protocol {}
