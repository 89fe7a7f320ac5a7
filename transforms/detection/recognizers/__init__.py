"""Built-in recognizers, one family per module (network, phone, financial, ...)."""
