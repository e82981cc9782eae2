"""The shared kernel: what both offices mean by the same word."""
