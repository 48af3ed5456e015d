"""Entry point of the atenciones pipeline: settings shared by every room and the thin CLI."""
