"""Live incident detection: clusters of service-failure attentions per provider and district."""
