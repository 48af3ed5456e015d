"""The Kafka side: topics, producers, the publish CLI, the simulator and the local broker."""
