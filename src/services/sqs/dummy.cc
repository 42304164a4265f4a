namespace sluice::sqs {}
