//! Integration tests: spark_client.
