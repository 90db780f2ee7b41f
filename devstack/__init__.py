"""Starts the real parts locally (PostgreSQL, a Kafka-protocol broker, the services, Envoy) for
`make run` and the test suite, unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS point elsewhere."""
