"""The torch.export / AOTInductor package written beside model.nm, and its runtimes."""
