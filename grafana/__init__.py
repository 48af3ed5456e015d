"""Grafana: dashboards as code, generated JSON, provisioning and push."""
