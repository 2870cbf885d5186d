"""Model providers: one adapter per wire format, chosen by the model string's prefix."""
