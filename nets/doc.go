package nets
