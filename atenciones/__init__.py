"""The `atenciones` command line: the top layer, the only one that may import every other."""
