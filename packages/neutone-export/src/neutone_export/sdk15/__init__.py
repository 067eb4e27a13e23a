"""Porting from the Neutone SDK 1.5: the import codemod (`port`), the porting notes, `AudioSample`,
the SDK's save keywords (`compat`) and `@torch.no_grad()` methods (`no_grad`).
"""
