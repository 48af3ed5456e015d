"""The Faust app: agents that validate, de-duplicate, classify, count and sink attentions."""
